/**
 * confluent-kafka-python (Debian python3-confluent-kafka, librdkafka) against
 * millrace, via confluent_kafka_client.py: AdminClient creates the topics
 * (with configs), a Producer with acks=all sends keyed messages with headers
 * and timestamps under every compression.type and flush()es, a Consumer reads
 * them from OFFSET_BEGINNING with assign() only (no consumer group API is
 * needed: the client sets up its group handle because group.id is mandatory,
 * but never finds a broker offering FindCoordinator, so it never asks), and
 * checks order per partition, headers, timestamps, watermarks and
 * offsets_for_times; then describe_configs and delete_topics. The test checks
 * the stored log with millrace's own client.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { CompressionType } from "../../src/protocol/records/batch.js";
import { startBroker, removeDir } from "../helpers/broker.js";
import { INTEROP_DIR, PYTHON, assertPresent, missingPythonModule, needs, readTopic, runOk } from "./helpers.js";

const missing = missingPythonModule("confluent_kafka", "python3-confluent-kafka");
const SCRIPT = join(INTEROP_DIR, "confluent_kafka_client.py");

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const NEVER = "9223372036854775807";
const CODECS: [string, CompressionType][] = [
  ["none", CompressionType.None],
  ["gzip", CompressionType.Gzip],
  ["snappy", CompressionType.Snappy],
  ["lz4", CompressionType.Lz4],
  ["zstd", CompressionType.Zstd],
];
const GROUP_APIS = [
  "FindCoordinator",
  "JoinGroup",
  "SyncGroup",
  "Heartbeat",
  "LeaveGroup",
  "OffsetCommit",
  "OffsetFetch",
];

test(
  "confluent-kafka-python: admin, acks=all producer with every codec, assign-only consumer",
  needs(missing, 300_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker();
    dirs.push(tb.dir);
    const admin = await KafkaClient.connect(tb.bootstrap);
    try {
      // librdkafka compresses with LZ4 only when the broker advertises FindCoordinator v0 (see kcat.test.ts);
      // that is also the first of the group APIs.
      let lz4 = false;
      try {
        lz4 = admin.bootstrap.version(ApiKey.FindCoordinator, 0) === 0;
      } catch {
        lz4 = false;
      }
      const N = 3_000;
      const cases = CODECS.map(([codec]) => ({
        topic: `confluent-${codec}`,
        partitions: 3,
        n: N,
        compression: codec,
        configs: { "flush.ms": NEVER, "flush.messages": NEVER },
      }));
      const r = await runOk(PYTHON, [SCRIPT, tb.bootstrap, JSON.stringify(cases)], { timeoutMs: 240_000 });
      const summary = JSON.parse(r.stdout) as {
        consumed: Record<string, Record<string, number>>;
        requests: Record<string, string[]>;
        coordinator: string | null;
      };
      for (const [client, reqs] of Object.entries(summary.requests))
        console.log(`# confluent-kafka ${client} sent: ${reqs.join(", ")}`);
      if (summary.coordinator)
        console.log(`# librdkafka's group handle (group.id is mandatory) logged: ${summary.coordinator}`);

      for (const [codec, codecType] of CODECS) {
        const topic = `confluent-${codec}`;
        assert.deepEqual(summary.consumed[topic], { "0": N / 3, "1": N / 3, "2": N / 3 }, topic);
        const stored = await readTopic(tb.bootstrap, topic);
        for (const p of [0, 1, 2]) {
          const got = stored.records.filter((x) => x.partition === p);
          const expected = Array.from(
            { length: N / 3 },
            (_, j) => `${topic}|p${p}|${j * 3 + p}|${"payload ".repeat(16)}`,
          );
          assert.deepEqual(
            got.map((x) => x.value),
            expected,
            `${topic}-${p}`,
          );
          assert.deepEqual(got[0].headers, [["seq", String(p)]]);
        }
        const want = codecType === CompressionType.Lz4 && !lz4 ? CompressionType.None : codecType;
        assert.deepEqual(
          [...new Set(stored.batches.map((b) => b.compression))],
          [want],
          `${topic}: stored compression`,
        );
        for (const p of tb.broker.log.topic(topic)!.partitions) {
          assert.equal(p.recoveryPoint, p.logEndOffset, `${topic}-${p.partition}: acks=all acknowledged before fsync`);
        }
        assert.equal(tb.broker.log.topic(topic)!.configs["flush.ms"], NEVER, "CreateTopics configs from AdminClient");
      }

      const all = Object.values(summary.requests).flat();
      assert.ok(
        summary.requests.producer.some((x) => x.startsWith("Produce ")),
        "the producer's requests were not captured",
      );
      assert.ok(
        summary.requests.consumer.some((x) => x.startsWith("Fetch ")),
        "the consumer's requests were not captured",
      );
      // Idempotence is off: no InitProducerId. And while the broker has no group APIs, the assign-only
      // consumer works without them (librdkafka only sends APIs the broker advertises; none was refused).
      assert.ok(!all.some((x) => x.startsWith("InitProducerId ")), "confluent-kafka sent InitProducerId");
      if (!lz4)
        for (const api of GROUP_APIS)
          assert.ok(!all.some((x) => x.startsWith(api + " ")), `confluent-kafka sent ${api}`);
      assert.equal(tb.broker.metrics.requestErrors, 0, "the broker refused some of confluent-kafka's requests");
    } finally {
      await admin.close();
      await tb.stop();
    }
  },
);
