/**
 * Differential test: the same syslog messages through Flume 1.11's own
 * SyslogUtils (java FlumeSyslogParse.java) and through millrace's parser must
 * give the same headers and body, for every keepFields setting. The one
 * documented difference (an RFC 5424 stamp with both a fraction and a zone
 * offset) is excluded from the corpus and covered by the unit tests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chooseFieldsToKeep, syslogEvent } from "../../src/agent/syslog/parser.js";
import { INTEROP_DIR, REPO_ROOT, assertPresent, missingCommand, needs, run } from "./helpers.js";
import { fetchJvmTool, missingJvmTool } from "./jvm-tools.js";

// A clean clone has no cached Flume: fetch it with Maven (a no-op once cached).
if (!process.env.MILLRACE_FLUME_LIB && missingJvmTool("flume") === null) await fetchJvmTool("flume");
const FLUME_LIB = process.env.MILLRACE_FLUME_LIB ?? join(REPO_ROOT, ".interop-cache", "flume-1.11.0", "lib");
const TOOL = join(INTEROP_DIR, "tooling", "FlumeSyslogParse.java");
const missing =
  missingCommand("java", ["-version"], "openjdk-17-jdk-headless") ??
  (existsSync(join(FLUME_LIB, "flume-ng-core-1.11.0.jar"))
    ? null
    : `Apache Flume 1.11.0's lib/ is not at ${FLUME_LIB}: unpack apache-flume-1.11.0-bin there or ` +
      "set MILLRACE_FLUME_LIB");

const CORPUS = [
  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
  "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
  "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.",
  "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
  '<165>1 2003-10-11T22:14:15Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event',
  "<165>1 2003-08-24T05:14:15+02:00 host.example.org - - - - no fraction, an offset",
  "<165>1 2003-08-24T05:14:15 host.example.org app - - - no zone at all",
  "<13>1 - - app - - - nil stamp and host",
  "<13>1 2024-01-05T01:02:03Z - app - - - nil host",
  "<191>1 2024-02-29T23:59:59Z h - - - - max priority",
  "<13>not a syslog header at all",
  "<13>",
  "no priority",
  "<>empty",
  "<12a>letters",
  "<1234>four digits",
  "<14>Jan  1 00:00:00 host-with.dots_and@at msg",
];

test("millrace's syslog parser agrees with Flume's SyslogUtils", needs(missing, 240_000), async () => {
  assertPresent(missing);
  for (const keep of ["none", "all", "timestamp hostname", "priority version"]) {
    const input = CORPUS.map((m) => Buffer.from(m).toString("base64")).join("\n") + "\n";
    const r = await run("java", ["-cp", `${FLUME_LIB}/*`, TOOL, keep, "2500"], {
      input,
      timeoutMs: 120_000,
      env: { ...process.env, TZ: process.env.TZ ?? "UTC" },
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, CORPUS.length);
    CORPUS.forEach((m, i) => {
      const [hs, body] = lines[i].split("|");
      const flume = Object.fromEntries(
        hs === "" ? [] : hs.split("\t").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      const ours = syslogEvent(Buffer.from(m), { keepFields: chooseFieldsToKeep(keep) });
      assert.deepEqual(ours.headers, flume, `headers of ${JSON.stringify(m)} (keepFields=${keep})`);
      assert.equal(
        ours.body.toString("base64"),
        body,
        `body of ${JSON.stringify(m)} (keepFields=${keep}): ours ` +
          `${JSON.stringify(ours.body.toString())}, Flume's ` +
          `${JSON.stringify(Buffer.from(body, "base64").toString())}`,
      );
    });
  }
});
