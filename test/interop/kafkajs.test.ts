/**
 * KafkaJS against millrace over real sockets: the admin client (createTopics
 * with configs, listTopics, fetchTopicMetadata, fetchTopicOffsets,
 * fetchTopicOffsetsByTimestamp, describeConfigs for a topic and the broker,
 * deleteTopics) and the producer (send and sendBatch, acks -1 and 1, gzip and
 * uncompressed, keys, headers, timestamps, Java-compatible key partitioning).
 * KafkaJS consumers need consumer groups, which millrace does not have yet, so
 * the data is read back with millrace's own client and record decoder.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { KafkaClient } from "../../src/client/client.js";
import { partitionForKey } from "../../src/client/partitioner.js";
import { CompressionType } from "../../src/protocol/records/batch.js";
import { startBroker, removeDir } from "../helpers/broker.js";
import { assertPresent, importClient, needs, readTopic, type ReadRecord } from "./helpers.js";

type KafkaJS = typeof import("kafkajs");
// KafkaJS is CommonJS: its API is module.exports, which ESM sees as `default`.
const loaded = await importClient<{ default: KafkaJS }>("kafkajs");
const kafkajs = loaded.mod?.default ?? null;

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const NEVER = "9223372036854775807";
const BASE_TS = 1_700_000_000_000;

interface Sent {
  topic: string;
  partition: number;
  key: string;
  value: string;
  headers: [string, string][];
  timestamp: number;
  gzip: boolean;
}

test(
  "KafkaJS: admin and producer (send, sendBatch, acks -1 and 1, gzip), data checked with millrace's client",
  needs(loaded.missing, 180_000),
  async () => {
    assertPresent(loaded.missing);
    const { Kafka, CompressionTypes, ConfigResourceTypes, Partitioners, logLevel } = kafkajs!;
    const tb = await startBroker();
    dirs.push(tb.dir);
    const errors: string[] = [];
    const kafka = new Kafka({
      clientId: "millrace-interop-kafkajs",
      brokers: [tb.bootstrap],
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => {
        errors.push(`${entry.namespace}: ${entry.log.message}: ${String(entry.log.error ?? "")}`);
      },
      retry: { retries: 2 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: false,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const mr = await KafkaClient.connect(tb.bootstrap);
    try {
      await admin.connect();
      await producer.connect();

      // --- admin: topics
      const flushNever = [
        { name: "flush.ms", value: NEVER },
        { name: "flush.messages", value: NEVER },
      ];
      assert.equal(
        await admin.createTopics({
          topics: [
            {
              topic: "kjs-events",
              numPartitions: 3,
              configEntries: [{ name: "retention.ms", value: "3600000" }, ...flushNever],
            },
            { topic: "kjs-batch", numPartitions: 2, configEntries: flushNever },
          ],
          waitForLeaders: true,
        }),
        true,
      );
      // An existing topic: KafkaJS maps TOPIC_ALREADY_EXISTS to `false`.
      assert.equal(await admin.createTopics({ topics: [{ topic: "kjs-events", numPartitions: 3 }] }), false);
      const createErrors = errors.splice(0);
      assert.ok(
        createErrors.length === 1 && createErrors[0].startsWith("Connection: Response CreateTopics"),
        `KafkaJS logs the error it maps to false: ${createErrors}`,
      );
      assert.deepEqual((await admin.listTopics()).sort(), ["kjs-batch", "kjs-events"]);
      const md = await admin.fetchTopicMetadata({ topics: ["kjs-events", "kjs-batch"] });
      assert.deepEqual(
        md.topics
          .map((t) => [
            t.name,
            t.partitions.map((p) => [p.partitionId, p.partitionErrorCode, p.leader, p.replicas, p.isr]).sort(),
          ])
          .sort(),
        [
          ["kjs-batch", [0, 1].map((p) => [p, 0, 1, [1], [1]])],
          ["kjs-events", [0, 1, 2].map((p) => [p, 0, 1, [1], [1]])],
        ],
      );

      // --- producer
      const sent: Sent[] = [];
      let seq = 0;
      const message = (topic: string, gzip: boolean, partition?: number) => {
        const i = seq++;
        const key = `user-${i % 17}`;
        const m = {
          key,
          value: `${topic}#${i}`,
          headers: { seq: String(i) },
          timestamp: String(BASE_TS + i),
          ...(partition === undefined ? {} : { partition }),
        };
        return {
          m,
          record: {
            topic,
            partition: partition ?? partitionForKey(Buffer.from(key), topic === "kjs-events" ? 3 : 2),
            key,
            value: m.value,
            headers: [["seq", String(i)]] as [string, string][],
            timestamp: BASE_TS + i,
            gzip,
          },
        };
      };
      const events = tb.broker.log.topic("kjs-events")!;
      const synced = () => events.partitions.every((p) => p.recoveryPoint === p.logEndOffset);

      // send, acks -1, gzip, keyed (KafkaJS's default partitioner is the Java client's murmur2)
      const batch1 = Array.from({ length: 300 }, () => message("kjs-events", true));
      const r1 = await producer.send({
        topic: "kjs-events",
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: batch1.map((x) => x.m),
      });
      sent.push(...batch1.map((x) => x.record));
      assert.ok(r1.every((x) => x.errorCode === 0));
      assert.ok(synced(), "acks=-1 send resolved before the log was fsynced");

      // send, acks 1, uncompressed, explicit partitions: not fsynced
      const batch2 = Array.from({ length: 90 }, (_, j) => message("kjs-events", false, j % 3));
      const r2 = await producer.send({ topic: "kjs-events", acks: 1, messages: batch2.map((x) => x.m) });
      sent.push(...batch2.map((x) => x.record));
      assert.deepEqual(r2.map((x) => [x.partition, x.errorCode]).sort(), [
        [0, 0],
        [1, 0],
        [2, 0],
      ]);
      assert.ok(!synced(), "an acks=1 send fsynced (or KafkaJS sent acks=-1)");

      // sendBatch over two topics, acks -1 with gzip, then acks 1
      const batch3 = [
        ...Array.from({ length: 120 }, () => message("kjs-events", true)),
        ...Array.from({ length: 80 }, () => message("kjs-batch", true)),
      ];
      const r3 = await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.GZIP,
        topicMessages: [
          { topic: "kjs-events", messages: batch3.filter((x) => x.record.topic === "kjs-events").map((x) => x.m) },
          { topic: "kjs-batch", messages: batch3.filter((x) => x.record.topic === "kjs-batch").map((x) => x.m) },
        ],
      });
      sent.push(...batch3.map((x) => x.record));
      assert.ok(r3.every((x) => x.errorCode === 0));
      assert.ok(synced(), "acks=-1 sendBatch resolved before the log was fsynced");
      const batch4 = [
        ...Array.from({ length: 30 }, () => message("kjs-events", false)),
        ...Array.from({ length: 30 }, () => message("kjs-batch", false)),
      ];
      const r4 = await producer.sendBatch({
        acks: 1,
        topicMessages: ["kjs-events", "kjs-batch"].map((topic) => ({
          topic,
          messages: batch4.filter((x) => x.record.topic === topic).map((x) => x.m),
        })),
      });
      sent.push(...batch4.map((x) => x.record));
      assert.ok(r4.every((x) => x.errorCode === 0));

      // --- the log, read with millrace's client
      for (const [topic, partitions] of [
        ["kjs-events", 3],
        ["kjs-batch", 2],
      ] as const) {
        const stored = await readTopic(tb.bootstrap, topic);
        assert.equal(stored.partitions, partitions);
        for (let p = 0; p < partitions; p++) {
          const want = sent.filter((s) => s.topic === topic && s.partition === p);
          const got = stored.records.filter((r) => r.partition === p);
          assert.deepEqual(got.map(view), want.map(view), `${topic}-${p}`);
        }
        // Every gzip send is stored as gzip batches, every other send uncompressed.
        const gz = stored.batches
          .filter((b) => b.compression === CompressionType.Gzip)
          .reduce((n, b) => n + b.records.length, 0);
        const plain = stored.batches
          .filter((b) => b.compression === CompressionType.None)
          .reduce((n, b) => n + b.records.length, 0);
        assert.deepEqual(
          [gz, plain],
          [
            sent.filter((s) => s.topic === topic && s.gzip).length,
            sent.filter((s) => s.topic === topic && !s.gzip).length,
          ],
          `${topic}: compression`,
        );
      }

      // --- admin: offsets
      const counts = (topic: string, p: number) => sent.filter((s) => s.topic === topic && s.partition === p).length;
      const offsets = await admin.fetchTopicOffsets("kjs-events");
      assert.deepEqual(
        offsets.map((o) => [o.partition, o.low, o.high, o.offset]).sort(),
        [0, 1, 2].map((p) => [p, "0", String(counts("kjs-events", p)), String(counts("kjs-events", p))]),
      );
      // By timestamp: the first offset at or after the 100th event's timestamp, in each partition.
      const cut = BASE_TS + 100;
      const byTime = await admin.fetchTopicOffsetsByTimestamp("kjs-events", cut);
      assert.deepEqual(
        byTime.map((o) => [o.partition, o.offset]).sort(),
        [0, 1, 2].map((p) => [
          p,
          String(
            sent.filter((s) => s.topic === "kjs-events" && s.partition === p).findIndex((s) => s.timestamp >= cut),
          ),
        ]),
      );
      assert.equal(
        await mr.listOffset("kjs-events", 0, BigInt(cut)),
        BigInt(byTime.find((o) => o.partition === 0)!.offset),
      );

      // --- admin: configs
      const described = await admin.describeConfigs({
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: "kjs-events" },
          { type: ConfigResourceTypes.BROKER, name: String(tb.broker.config.nodeId) },
        ],
        includeSynonyms: false,
      });
      const [topicRes, brokerRes] = described.resources;
      assert.equal(topicRes.errorCode, 0);
      const retention = topicRes.configEntries.find((c) => c.configName === "retention.ms");
      assert.deepEqual([retention?.configValue, retention?.isDefault], ["3600000", false]);
      assert.equal(topicRes.configEntries.find((c) => c.configName === "cleanup.policy")?.configValue, "delete");
      assert.equal(brokerRes.errorCode, 0);
      assert.ok(
        brokerRes.configEntries.some((c) => c.configName === "num.partitions"),
        "broker configs include num.partitions",
      );

      // --- admin: delete
      await admin.deleteTopics({ topics: ["kjs-batch"] });
      assert.deepEqual(await admin.listTopics(), ["kjs-events"]);
      assert.equal(tb.broker.log.topic("kjs-batch"), undefined);

      assert.deepEqual(errors, [], "KafkaJS logged errors");
      assert.equal(tb.broker.metrics.requestErrors, 0, "the broker refused some of KafkaJS's requests");
    } finally {
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      await mr.close();
      await tb.stop();
    }
  },
);

function view(r: Sent | ReadRecord): [string | null, string | null, string, number] {
  return [r.key, r.value, JSON.stringify(r.headers), Number(r.timestamp)];
}
