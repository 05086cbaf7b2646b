/**
 * A KafkaJS consumer group against millrace: consumer.run({ eachBatch }) with
 * KafkaJS's own commit path (resolveOffset in the batch, autoCommit after
 * each batch, leave on disconnect). A first consumer consumes the whole topic;
 * a second one in the same group (the restart) gets only the records produced
 * since, each partition starting at the committed offset.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startBroker, removeDir } from "../helpers/broker.js";
import { assertPresent, importClient, needs } from "./helpers.js";
import { checkResume, sorted, type Consumed } from "./groups-helpers.js";

type KafkaJS = typeof import("kafkajs");
const loaded = await importClient<{ default: KafkaJS }>("kafkajs");
const kafkajs = loaded.mod?.default ?? null;

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

test(
  "KafkaJS: an eachBatch group consumer consumes a topic, commits, and restarted resumes from its commits",
  needs(loaded.missing, 180_000),
  async () => {
    assertPresent(loaded.missing);
    const { Kafka, logLevel } = kafkajs!;
    const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
    dirs.push(tb.dir);
    const topic = "kjs-group";
    const groupId = "kjs-group-consumers";
    const errors: string[] = [];
    const kafka = new Kafka({
      clientId: "millrace-interop-kafkajs-groups",
      brokers: [tb.bootstrap],
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => {
        errors.push(`${entry.namespace}: ${entry.log.message}: ${String(entry.log.error ?? "")}`);
      },
      retry: { retries: 3 },
    });
    try {
      await checkResume(tb.bootstrap, topic, groupId, async (expect) => {
        const consumer = kafka.consumer({
          groupId,
          sessionTimeout: 6_000,
          heartbeatInterval: 1_000,
          allowAutoTopicCreation: false,
        });
        const got: Consumed[] = [];
        let batches = 0;
        let assigned: number[] = [];
        consumer.on(consumer.events.GROUP_JOIN, (e) => {
          assigned = sorted(e.payload.memberAssignment[topic] ?? []);
        });
        let resolveAll!: () => void;
        const all = new Promise<void>((r) => (resolveAll = r));
        try {
          await consumer.connect();
          await consumer.subscribe({ topics: [topic], fromBeginning: true });
          await consumer.run({
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
              batches++;
              for (const m of batch.messages) {
                got.push({ partition: batch.partition, offset: Number(m.offset), value: m.value!.toString("utf8") });
                resolveOffset(m.offset);
              }
              await heartbeat();
              if (got.length >= expect) resolveAll();
            },
          });
          let timer: NodeJS.Timeout | undefined;
          const outcome = await Promise.race([
            all.then(() => "ok"),
            new Promise<string>((r) => (timer = setTimeout(() => r("timeout"), 60_000))),
          ]);
          clearTimeout(timer);
          assert.equal(
            outcome,
            "ok",
            `KafkaJS consumed ${got.length} of ${expect} records within 60 s; errors: ${errors.join("; ")}`,
          );
        } finally {
          // Waits for the batch in progress, whose offsets KafkaJS then commits, and leaves the group.
          await consumer.disconnect();
        }
        console.log(`# KafkaJS: assigned [${assigned}], ${got.length} records in ${batches} batches`);
        assert.deepEqual(assigned, [0, 1, 2, 3]);
        return got;
      });
      assert.deepEqual(errors, [], "KafkaJS logged errors");
    } finally {
      await tb.stop();
    }
  },
);
