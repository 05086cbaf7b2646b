/**
 * A source batch size greater than the channel's transactionCapacity is a
 * config error for every source kind that has one, stream sources included,
 * naming the source's own key; an unset one becomes min(its default, the
 * capacity). A sink batch size above it is capped at the capacity with a
 * warning naming file:line:key (Flume 1.7 accepted such files, the article's
 * among them).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Agent } from "../../../src/agent/runtime/agent.js";
import { parseProperties } from "../../../src/formats/properties.js";
import { parseAgentConfig } from "../../../src/agent/config/config.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const logger = pino({ level: "silent" });

const cases: { what: string; lines: string[]; key: string; def?: number }[] = [
  {
    what: "exec source",
    lines: ["a1.sources.r1.type = exec", "a1.sources.r1.command = true", "a1.sources.r1.batchSize = 50"],
    key: "a1.sources.r1.batchSize",
  },
  {
    what: "spooldir source",
    lines: ["a1.sources.r1.type = spooldir", "a1.sources.r1.spoolDir = @D@", "a1.sources.r1.batchSize = 50"],
    key: "a1.sources.r1.batchSize",
  },
  {
    what: "TAILDIR source",
    lines: [
      "a1.sources.r1.type = TAILDIR",
      "a1.sources.r1.filegroups = f",
      "a1.sources.r1.filegroups.f = @D@/x.log",
      "a1.sources.r1.positionFile = @D@/p.json",
      "a1.sources.r1.batchSize = 50",
    ],
    key: "a1.sources.r1.batchSize",
  },
  {
    what: "multiport syslog source",
    lines: ["a1.sources.r1.type = multiport_syslogtcp", "a1.sources.r1.ports = 0", "a1.sources.r1.batchSize = 50"],
    key: "a1.sources.r1.batchSize",
  },
  {
    what: "kafka source",
    lines: [
      "a1.sources.r1.type = kafka",
      "a1.sources.r1.kafka.bootstrap.servers = 127.0.0.1:1",
      "a1.sources.r1.kafka.topics = t",
      "a1.sources.r1.batchSize = 50",
    ],
    key: "a1.sources.r1.batchSize",
  },
  ...(
    [
      ["twitter", "maxBatchSize", ["a1.sources.r1.consumerKey = k", "a1.sources.r1.consumerSecret = s"], 1000],
      ["org.apache.flume.source.twitter.TwitterSource", "maxBatchSize", ["a1.sources.r1.bearerToken = t"], 1000],
      ["jetstream", "batchSize", [], 100],
      ["mastodon", "batchSize", ["a1.sources.r1.instance = https://127.0.0.1:1"], 100],
      ["wikimedia", "batchSize", [], 100],
      ["replay", "batchSize", ["a1.sources.r1.file = @D@/t.jsonl"], 100],
      ["tweets", "batchSize", [], 100],
      ["seq", "batchSize", [], 1],
    ] as [string, string, string[], number][]
  ).map(([type, key, extra, def]) => ({
    what: `${type} source`,
    lines: [`a1.sources.r1.type = ${type}`, ...extra, `a1.sources.r1.${key} = 50`],
    key: `a1.sources.r1.${key}`,
    def,
  })),
  {
    what: "avro sink",
    lines: [
      "a1.sinks = k1",
      "a1.sinks.k1.type = avro",
      "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.hostname = 127.0.0.1",
      "a1.sinks.k1.port = 1",
      "a1.sinks.k1.batch-size = 50",
    ],
    key: "a1.sinks.k1.batch-size",
  },
  {
    what: "kafka sink",
    lines: [
      "a1.sinks = k1",
      "a1.sinks.k1.type = kafka",
      "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:1",
      "a1.sinks.k1.flumeBatchSize = 50",
    ],
    key: "a1.sinks.k1.flumeBatchSize",
  },
  {
    what: "file_roll sink",
    lines: [
      "a1.sinks = k1",
      "a1.sinks.k1.type = file_roll",
      "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.sink.directory = @D@",
      "a1.sinks.k1.sink.batchSize = 50",
    ],
    key: "a1.sinks.k1.sink.batchSize",
  },
  {
    what: "hdfs sink",
    lines: [
      "a1.sinks = k1",
      "a1.sinks.k1.type = hdfs",
      "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.hdfs.path = @D@",
      "a1.sinks.k1.hdfs.batchSize = 50",
    ],
    key: "a1.sinks.k1.hdfs.batchSize",
  },
];

function agentText(channel: string, dir: string, lines: string[]): string {
  return [
    "a1.channels = c1",
    `a1.channels.c1.type = ${channel}`,
    "a1.channels.c1.transactionCapacity = 10",
    `a1.channels.c1.checkpointDir = ${dir}/ck`,
    `a1.channels.c1.dataDirs = ${dir}/data`,
    ...(lines[0]!.startsWith("a1.sinks") ? ["a1.sources = "] : ["a1.sources = r1", "a1.sources.r1.channels = c1"]),
    ...lines.map((l) => l.replaceAll("@D@", dir)),
  ].join("\n");
}

for (const channel of ["memory", "file"]) {
  for (const c of cases.filter((c) => c.key.startsWith("a1.sources."))) {
    test(
      `${c.what} batch size 50 > ${channel} channel transactionCapacity 10 is a config error ` + `naming ${c.key}`,
      async () => {
        const dir = tempDir();
        try {
          const props = parseProperties(agentText(channel, dir, c.lines), "t.conf");
          await assert.rejects(
            Agent.start({ name: "a1", properties: props, logger }),
            (e: Error) =>
              e.message.includes(`t.conf:${7 + c.lines.length}: ${c.key} (50) of source r1`) &&
              /\(50\) of source r1 is greater than the transactionCapacity \(10\) of channel c1/.test(e.message),
          );
        } finally {
          removeDir(dir);
        }
      },
    );
  }
  for (const c of cases.filter((c) => c.key.startsWith("a1.sinks."))) {
    test(
      `${c.what} batch size 50 > ${channel} channel transactionCapacity 10: the sink takes 10 per ` +
        `transaction, ${c.key} warned`,
      () => {
        const dir = tempDir();
        try {
          const props = parseProperties(agentText(channel, dir, c.lines), "t.conf");
          const b = new Agent({ name: "a1", properties: props, logger }).build(props);
          const line = 6 + c.lines.length;
          assert.ok(
            b.warnings.includes(
              `t.conf:${line}: ${c.key} (50) of sink k1 is greater than the transactionCapacity (10) ` +
                "of channel c1: the sink takes at most 10 events per transaction",
            ),
            b.warnings.join("\n"),
          );
          assert.equal(b.runners.get("k1")!.sinks[0]!.batchSize!(), 10);
        } finally {
          removeDir(dir);
        }
      },
    );
  }
}

test("an unset source batch size becomes min(its default, the smallest transactionCapacity of its channels)", () => {
  const dir = tempDir();
  try {
    for (const c of cases.filter((c) => c.def !== undefined)) {
      const lines = c.lines.slice(0, -1);
      for (const [tc, want] of [
        [10, Math.min(10, c.def!)],
        [5000, c.def!],
      ]) {
        const text = [
          "a1.sources = r1",
          "a1.channels = c1 c2",
          "a1.sources.r1.channels = c1 c2",
          "a1.channels.c1.type = memory",
          "a1.channels.c1.capacity = 10000",
          `a1.channels.c1.transactionCapacity = ${tc}`,
          "a1.channels.c2.type = memory",
          "a1.channels.c2.capacity = 10000",
          "a1.channels.c2.transactionCapacity = 6000",
          ...lines.map((l) => l.replaceAll("@D@", dir)),
        ].join("\n");
        const props = parseProperties(text, "t.conf");
        const cfg = parseAgentConfig(props, "a1");
        const key = c.key.slice("a1.sources.r1.".length);
        assert.equal(cfg.sources[0]!.ctx.getInteger(key, c.def!), want, `${c.what} with transactionCapacity ${tc}`);
      }
    }
  } finally {
    removeDir(dir);
  }
});
