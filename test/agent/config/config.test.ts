import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { parseProperties } from "../../../src/formats/properties.js";
import { parseAgentConfig } from "../../../src/agent/config/config.js";
import { Agent } from "../../../src/agent/runtime/agent.js";
import { ConfigError } from "../../../src/errors.js";
import { registerBuiltins } from "../../../src/agent/builtin.js";

registerBuiltins();

const BASE = [
  "a1.sources = r1",
  "a1.channels = c1",
  "a1.sinks = k1",
  "a1.sources.r1.type = seq",
  "a1.sources.r1.channels = c1",
  "a1.channels.c1.type = memory",
  "a1.sinks.k1.type = null",
  "a1.sinks.k1.channel = c1",
];

/** builds (without starting) an agent from these lines; returns the warnings */
function build(lines: string[], sysprops: Record<string, string> = {}): string[] {
  const props = parseProperties(lines.join("\n"), "agent.conf");
  const a = new Agent({ name: "a1", properties: props, sysprops, logger: pino({ level: "silent" }) });
  return a.build(props).warnings;
}

function fails(lines: string[], where: RegExp): void {
  assert.throws(
    () => build(lines),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, where);
      return true;
    },
  );
}

const at = (n: number) => `^agent\\.conf:${n}: `;
const replace = (lines: string[], i: number, s: string) => lines.map((l, j) => (j === i ? s : l));

test("a valid configuration builds with no warnings", () => {
  assert.deepEqual(build(BASE), []);
});

test("unknown component types name file:line:key", () => {
  fails(
    replace(BASE, 3, "a1.sources.r1.type = org.example.Nope"),
    new RegExp(at(4) + 'a1\\.sources\\.r1\\.type names an unknown source type "org\\.example\\.Nope"'),
  );
  fails(
    replace(BASE, 5, "a1.channels.c1.type = jdbcx"),
    new RegExp(at(6) + "a1\\.channels\\.c1\\.type names an unknown channel type"),
  );
  fails(
    replace(BASE, 6, "a1.sinks.k1.type = nope"),
    new RegExp(at(7) + "a1\\.sinks\\.k1\\.type names an unknown sink type"),
  );
  fails(
    [...BASE, "a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = bogus"],
    new RegExp(at(10) + "a1\\.sources\\.r1\\.interceptors\\.i1\\.type names an unknown interceptor"),
  );
  fails(
    [...BASE, "a1.sources.r1.selector.type = fancy"],
    new RegExp(at(9) + "a1\\.sources\\.r1\\.selector\\.type names an unknown channel selector"),
  );
  fails(
    [...BASE, "a1.sinkgroups = g1", "a1.sinkgroups.g1.sinks = k1", "a1.sinkgroups.g1.processor.type = magic"],
    new RegExp(at(11) + "a1\\.sinkgroups\\.g1\\.processor\\.type names an unknown sink processor"),
  );
  // Flume class names are known types
  assert.deepEqual(
    build(
      replace(
        replace(BASE, 3, "a1.sources.r1.type = org.apache.flume.source.SequenceGeneratorSource"),
        5,
        "a1.channels.c1.type = org.apache.flume.channel.MemoryChannel",
      ),
    ),
    [],
  );
});

test("a source with no channels, a sink with no channel", () => {
  fails(
    BASE.filter((_, i) => i !== 4),
    new RegExp(at(4) + "a1\\.sources\\.r1\\.channels is not set"),
  );
  fails(replace(BASE, 4, "a1.sources.r1.channels ="), new RegExp(at(5) + "a1\\.sources\\.r1\\.channels is empty"));
  fails(
    BASE.filter((_, i) => i !== 7),
    new RegExp(at(7) + "a1\\.sinks\\.k1\\.channel is not set"),
  );
});

test("references to undeclared channels and sinks", () => {
  fails(
    replace(BASE, 4, "a1.sources.r1.channels = c1 c2"),
    new RegExp(at(5) + 'a1\\.sources\\.r1\\.channels names channel "c2", which is not declared'),
  );
  fails(
    replace(BASE, 7, "a1.sinks.k1.channel = cX"),
    new RegExp(at(8) + 'a1\\.sinks\\.k1\\.channel names channel "cX"'),
  );
  fails(
    [...BASE, "a1.sinkgroups = g1", "a1.sinkgroups.g1.sinks = k1 k9"],
    new RegExp(at(10) + 'a1\\.sinkgroups\\.g1\\.sinks names sink "k9"'),
  );
  fails(
    [...BASE, "a1.sources.r1.selector.optional = c7"],
    new RegExp(at(9) + 'a1\\.sources\\.r1\\.selector\\.optional names channel "c7"'),
  );
  fails(
    ["a1.sources = r1", "a1.sources.r1.channels = c1"],
    new RegExp(at(1) + 'a1\\.sources declares source "r1" but a1\\.sources\\.r1\\.type is not set'),
  );
});

test("a sink in two groups", () => {
  fails(
    [
      ...replace(BASE, 2, "a1.sinks = k1 k2"),
      "a1.sinks.k2.type = null",
      "a1.sinks.k2.channel = c1",
      "a1.sinkgroups = g1 g2",
      "a1.sinkgroups.g1.sinks = k1 k2",
      "a1.sinkgroups.g2.sinks = k2",
    ],
    new RegExp(at(13) + 'a1\\.sinkgroups\\.g2\\.sinks names sink "k2", which is already in sink group "g1"'),
  );
});

test("transactionCapacity > capacity; batchSize > transactionCapacity (sink and source)", () => {
  fails(
    [...BASE, "a1.channels.c1.capacity = 10", "a1.channels.c1.transactionCapacity = 20"],
    new RegExp(at(10) + "a1\\.channels\\.c1\\.transactionCapacity \\(20\\) must not be greater than capacity \\(10\\)"),
  );
  // a sink batch above transactionCapacity (the article's hdfs.batchSize 1000 over 100): the sink takes
  // transactionCapacity per transaction, and the file's line is warned
  const props = parseProperties([...BASE, "a1.sinks.k1.batchSize = 500"].join("\n"), "agent.conf");
  const a = new Agent({ name: "a1", properties: props, logger: pino({ level: "silent" }) });
  const b = a.build(props);
  assert.ok(
    b.warnings.includes(
      "agent.conf:9: a1.sinks.k1.batchSize (500) of sink k1 is greater than the transactionCapacity " +
        "(100) of channel c1: the sink takes at most 100 events per transaction",
    ),
    b.warnings.join("\n"),
  );
  assert.equal(b.runners.get("k1")!.sinks[0]!.batchSize!(), 100);
  // an unset sink batch size (100) over a smaller transactionCapacity becomes that capacity
  const props2 = parseProperties([...BASE, "a1.channels.c1.transactionCapacity = 10"].join("\n"), "agent.conf");
  const b2 = new Agent({ name: "a1", properties: props2, logger: pino({ level: "silent" }) }).build(props2);
  assert.equal(b2.runners.get("k1")!.sinks[0]!.batchSize!(), 10);
  assert.equal(b2.sources.get("r1")!.source.batchSize!(), 1);
  // a source's explicit batch size above it stays an error
  fails(
    [...BASE, "a1.sources.r1.batchSize = 101"],
    new RegExp(
      at(9) +
        "a1\\.sources\\.r1\\.batchSize \\(101\\) of source r1 is greater than the " +
        "transactionCapacity \\(100\\) of channel c1",
    ),
  );
});

test("bad numbers and booleans", () => {
  fails(
    [...BASE, "a1.channels.c1.capacity = lots"],
    new RegExp(at(9) + 'a1\\.channels\\.c1\\.capacity must be an integer, got "lots"'),
  );
  fails(
    [
      ...BASE,
      "a1.sources.r1.interceptors = t",
      "a1.sources.r1.interceptors.t.type = timestamp",
      "a1.sources.r1.interceptors.t.preserveExisting = maybe",
    ],
    new RegExp(at(11) + "a1\\.sources\\.r1\\.interceptors\\.t\\.preserveExisting must be true or false"),
  );
  fails(
    [...BASE, "a1.channels.c1.keep-alive = soon"],
    new RegExp(at(9) + "a1\\.channels\\.c1\\.keep-alive must be a number"),
  );
});

test("several errors are reported together", () => {
  assert.throws(
    () => build([...replace(BASE, 3, "a1.sources.r1.type = zz"), "a1.sinks.k1.channel = c5"]),
    (e: Error) => {
      assert.match(e.message, /a1\.sources\.r1\.type names an unknown source type/);
      assert.match(e.message, /a1\.sinks\.k1\.channel names channel "c5"/);
      return true;
    },
  );
});

test("unsupported properties are warnings with file:line; other agents' keys are left alone", () => {
  const w = build([
    ...BASE,
    "a1.channels.c1.capacityy = 5",
    "a1.sinks.k1.hdfs.path = /x",
    "a1.sources.r9.type = seq",
    "a1.bogus = 1",
    "other.sources = x",
    "a1.sources.r1.interceptors.i7.type = host",
  ]);
  assert.equal(w.length, 5, w.join("\n"));
  assert.ok(w.some((m) => /^agent\.conf:9: a1\.channels\.c1\.capacityy is not supported/.test(m)));
  assert.ok(w.some((m) => /^agent\.conf:10: a1\.sinks\.k1\.hdfs\.path is not supported/.test(m)));
  assert.ok(w.some((m) => /^agent\.conf:11: .*"r9" is not listed in a1\.sources/.test(m)));
  assert.ok(w.some((m) => /^agent\.conf:12: a1\.bogus is not supported/.test(m)));
  assert.ok(w.some((m) => /^agent\.conf:14: .*interceptor "i7" is not listed/.test(m)));
});

test("no properties for the agent name is an error", () => {
  assert.throws(() => parseAgentConfig(parseProperties(BASE.join("\n"), "f"), "b2"), /no properties for agent "b2"/);
});

test("${NAME} is replaced from -D properties, then the environment", () => {
  process.env.MR_TEST_CAP = "300";
  const props = parseProperties(
    [...BASE, "a1.channels.c1.capacity = ${MR_TEST_CAP}", "a1.channels.c1.transactionCapacity = ${TC}"].join("\n"),
    "f",
  );
  const cfg = parseAgentConfig(props, "a1", { sysprops: { TC: "50" } });
  const c1 = cfg.channels[0].ctx;
  assert.equal(c1.getString("capacity"), "300");
  assert.equal(c1.getString("transactionCapacity"), "50");
  delete process.env.MR_TEST_CAP;
});

test("-D<agent>.<key>=<value> sets or overrides that agent's property; other agents' keys are left alone", () => {
  const props = parseProperties([...BASE, "a1.channels.c1.capacity = 300"].join("\n"), "f");
  const cfg = parseAgentConfig(props, "a1", {
    sysprops: {
      "a1.channels.c1.capacity": "77",
      "a1.channels.c1.keep-alive": "0",
      "b2.channels.c1.capacity": "9",
      "a1x.y": "z",
    },
  });
  const c1 = cfg.channels[0].ctx;
  assert.equal(c1.getString("capacity"), "77");
  assert.equal(c1.getString("keep-alive"), "0");
  assert.equal(c1.entry("capacity")?.file, "-D");
  assert.throws(
    () => parseAgentConfig(parseProperties(BASE.join("\n"), "f"), "b2", { sysprops: { "b2.sources": "r1" } }),
    /no properties for agent "b2"/,
    "-D alone does not make an agent",
  );
});
