/**
 * "A batch size greater than the channel's transactionCapacity" is a config
 * error for every component that has a batch size (Flume's BatchSizeSupported /
 * TransactionCapacitySupported), naming the component's own key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Agent } from "../../../src/agent/runtime/agent.js";
import { parseProperties } from "../../../src/formats/properties.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const logger = pino({ level: "silent" });

const cases: { what: string; lines: string[]; key: string }[] = [
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

for (const channel of ["memory", "file"]) {
  for (const c of cases) {
    test(`${c.what} batch size 50 > ${channel} channel transactionCapacity 10 is a config error naming ${c.key}`, async () => {
      const dir = tempDir();
      try {
        const text = [
          "a1.channels = c1",
          `a1.channels.c1.type = ${channel}`,
          "a1.channels.c1.transactionCapacity = 10",
          `a1.channels.c1.checkpointDir = ${dir}/ck`,
          `a1.channels.c1.dataDirs = ${dir}/data`,
          ...(c.lines[0].startsWith("a1.sinks")
            ? ["a1.sources = "]
            : ["a1.sources = r1", "a1.sources.r1.channels = c1"]),
          ...c.lines.map((l) => l.replaceAll("@D@", dir)),
        ].join("\n");
        const props = parseProperties(text, "t.conf");
        await assert.rejects(
          Agent.start({ name: "a1", properties: props, logger }),
          (e: Error) =>
            e.message.includes(c.key) &&
            /\(50\) of (source r1|sink k1) is greater than the transactionCapacity \(10\) of channel c1/.test(
              e.message,
            ),
        );
      } finally {
        removeDir(dir);
      }
    });
  }
}
