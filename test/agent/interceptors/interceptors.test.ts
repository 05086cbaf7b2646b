import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Context, type Event } from "../../../src/agent/api.js";
import {
  hostInterceptor,
  removeHeaderInterceptor,
  staticInterceptor,
  timestampInterceptor,
  uuidInterceptor,
} from "../../../src/agent/interceptors/headers.js";
import {
  javaReplacement,
  regexExtractorInterceptor,
  regexFilterInterceptor,
  searchReplaceInterceptor,
} from "../../../src/agent/interceptors/regex.js";
import { findInterceptor } from "../../../src/agent/registry.js";
import { registerBuiltins } from "../../../src/agent/builtin.js";
import { interceptorContract } from "../contracts/interceptor.js";

registerBuiltins();

const env = { agentName: "a1", logger: pino({ level: "silent" }) };
const of = (v: Record<string, string>) => Context.of(v, "a1.sources.r1.interceptors.i1");
const ev = (body: string, headers: Record<string, string> = {}): Event => ({ headers, body: Buffer.from(body) });

interceptorContract("timestamp", () => timestampInterceptor(of({})));
interceptorContract("host", () => hostInterceptor(of({ useIP: "false" })));
interceptorContract("static", () => staticInterceptor(of({ key: "k", value: "v" })));
interceptorContract("remove_header", () =>
  removeHeaderInterceptor(of({ withName: "host", fromList: "a, b", matching: "h\\d+" })),
);
interceptorContract("search_replace", () =>
  searchReplaceInterceptor(of({ searchPattern: "(\\w+) (\\w+)", replaceString: "$2 $1" })),
);
interceptorContract("regex_filter", () => regexFilterInterceptor(of({ regex: "^line", excludeEvents: "true" })));
interceptorContract("regex_extractor", () =>
  regexExtractorInterceptor(
    of({ regex: "(\\d+)-(\\d+)", serializers: "s1 s2", "serializers.s1.name": "one", "serializers.s2.name": "two" }),
  ),
);
interceptorContract("uuid", () => uuidInterceptor(of({ prefix: "p-" })));

test("timestamp: sets the header unless preserveExisting keeps one", () => {
  assert.equal(
    timestampInterceptor(of({}), env, () => 42).intercept(ev("x", { timestamp: "1" }))!.headers.timestamp,
    "42",
  );
  assert.equal(
    timestampInterceptor(of({ preserveExisting: "true" }), env, () => 42).intercept(ev("x", { timestamp: "1" }))!
      .headers.timestamp,
    "1",
  );
  assert.equal(timestampInterceptor(of({ header: "ts" }), env, () => 7).intercept(ev("x"))!.headers.ts, "7");
});

test("host: IP by default, host name with useIP=false, custom header", () => {
  assert.match(hostInterceptor(of({})).intercept(ev("x"))!.headers.host, /^\d+\.\d+\.\d+\.\d+$/);
  const e = hostInterceptor(of({ useIP: "false", hostHeader: "hn" })).intercept(ev("x"))!;
  assert.ok(e.headers.hn && !/^\d+\.\d+\.\d+\.\d+$/.test(e.headers.hn));
  assert.equal(
    hostInterceptor(of({ preserveExisting: "true" })).intercept(ev("x", { host: "mine" }))!.headers.host,
    "mine",
  );
});

test("static: preserveExisting defaults to true", () => {
  assert.equal(staticInterceptor(of({ key: "k", value: "v" })).intercept(ev("x", { k: "old" }))!.headers.k, "old");
  assert.equal(
    staticInterceptor(of({ key: "k", value: "v", preserveExisting: "false" })).intercept(ev("x", { k: "old" }))!.headers
      .k,
    "v",
  );
});

test("remove_header: withName, fromList with listSeparator, matching (whole name)", () => {
  const e = removeHeaderInterceptor(
    of({ withName: "a", fromList: "b;c", listSeparator: ";", matching: "x.*" }),
  ).intercept(ev("x", { a: "1", b: "2", c: "3", d: "4", xy: "5", yx: "6" }))!;
  assert.deepEqual(e.headers, { d: "4", yx: "6" });
});

test("search_replace: Java replacement syntax; bad regex is a config error at its key", () => {
  assert.equal(javaReplacement("\\$1 ${g} $2"), "$$1 $<g> $2");
  const i = searchReplaceInterceptor(of({ searchPattern: "^(\\w+):", replaceString: "[$1]" }));
  assert.equal(i.intercept(ev("user: hi"))!.body.toString(), "[user] hi");
  const del = searchReplaceInterceptor(of({ searchPattern: "\\s+", replaceString: "" }));
  assert.equal(del.intercept(ev("a b  c"))!.body.toString(), "abc");
  assert.throws(
    () => searchReplaceInterceptor(of({ searchPattern: "(", replaceString: "" })),
    /a1\.sources\.r1\.interceptors\.i1\.searchPattern is not a valid regular expression/,
  );
  assert.throws(() => searchReplaceInterceptor(of({ searchPattern: "x" })), /replaceString is required/);
});

test("regex_filter: include by default, exclude with excludeEvents", () => {
  const inc = regexFilterInterceptor(of({ regex: "ERROR" }));
  assert.notEqual(inc.intercept(ev("an ERROR here")), null);
  assert.equal(inc.intercept(ev("fine")), null);
  const exc = regexFilterInterceptor(of({ regex: "DEBUG", excludeEvents: "true" }));
  assert.equal(exc.intercept(ev("DEBUG x")), null);
  assert.notEqual(exc.intercept(ev("INFO x")), null);
});

test("regex_extractor: groups to headers through pass-through and millis serializers", () => {
  const i = regexExtractorInterceptor(
    of({
      regex: "^(\\d\\d\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d) (\\w+)",
      serializers: "s1 s2",
      "serializers.s1.type": "org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer",
      "serializers.s1.name": "timestamp",
      "serializers.s1.pattern": "yyyy-MM-dd HH:mm",
      "serializers.s2.name": "level",
    }),
  );
  const e = i.intercept(ev("2012-10-18 18:47 INFO something"))!;
  assert.deepEqual(e.headers, { timestamp: String(Date.UTC(2012, 9, 18, 18, 47)), level: "INFO" });
  assert.deepEqual(i.intercept(ev("no match"))!.headers, {});
  assert.throws(() => regexExtractorInterceptor(of({ regex: "(x)" })), /serializers is required/);
});

test("uuid: headerName, prefix, preserveExisting (true)", () => {
  const e = uuidInterceptor(of({ headerName: "eid", prefix: "p-" })).intercept(ev("x"))!;
  assert.match(e.headers.eid, /^p-[0-9a-f-]{36}$/);
  assert.equal(uuidInterceptor(of({})).intercept(ev("x", { id: "keep" }))!.headers.id, "keep");
});

test("registry: aliases and Flume's Builder class names", () => {
  for (const [alias, cls] of [
    ["timestamp", "org.apache.flume.interceptor.TimestampInterceptor$Builder"],
    ["host", "org.apache.flume.interceptor.HostInterceptor$Builder"],
    ["static", "org.apache.flume.interceptor.StaticInterceptor$Builder"],
    ["remove_header", "org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder"],
    ["search_replace", "org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder"],
    ["regex_filter", "org.apache.flume.interceptor.RegexFilteringInterceptor$Builder"],
    ["regex_extractor", "org.apache.flume.interceptor.RegexExtractorInterceptor$Builder"],
    ["uuid", "org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder"],
  ]) {
    assert.ok(findInterceptor(alias), alias);
    assert.equal(findInterceptor(cls), findInterceptor(alias), cls);
  }
});
