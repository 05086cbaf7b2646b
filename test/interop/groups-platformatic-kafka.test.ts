/**
 * @platformatic/kafka (v1) consumer groups against millrace: a Consumer with
 * a groupId and its consume() stream (mode "committed", falling back to
 * "earliest", autocommit after each fetch, the final commit awaited by
 * stream.close()). A first consumer consumes the whole topic; a second one in
 * the same group (the restart) gets only the records produced since, each
 * partition starting at the committed offset.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startBroker, removeDir } from "../helpers/broker.js";
import { assertPresent, importClient, needs } from "./helpers.js";
import { checkResume, sorted, type Consumed } from "./groups-helpers.js";

type Platformatic = typeof import("@platformatic/kafka");
const loaded = await importClient<Platformatic>("@platformatic/kafka");

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

test(
  "@platformatic/kafka: a group Consumer's consume() stream consumes a topic, commits, and restarted " +
    "resumes from its commits",
  needs(loaded.missing, 180_000),
  async () => {
    assertPresent(loaded.missing);
    const { Consumer, MessagesStreamModes, MessagesStreamFallbackModes, stringDeserializers } = loaded.mod!;
    const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
    dirs.push(tb.dir);
    const topic = "pk-group";
    const groupId = "pk-group-consumers";
    try {
      await checkResume(tb.bootstrap, topic, groupId, async (expect) => {
        const consumer = new Consumer({
          clientId: "millrace-interop-platformatic-groups",
          bootstrapBrokers: [tb.bootstrap],
          groupId,
          deserializers: stringDeserializers,
          sessionTimeout: 6_000,
          heartbeatInterval: 1_000,
          retries: 2,
        });
        const got: Consumed[] = [];
        const commitErrors: string[] = [];
        try {
          const stream = await consumer.consume({
            topics: [topic],
            mode: MessagesStreamModes.COMMITTED,
            fallbackMode: MessagesStreamFallbackModes.EARLIEST,
            autocommit: true,
            maxWaitTime: 200,
          });
          stream.on("autocommit", (err: Error | null) => {
            if (err) commitErrors.push(err.message);
          });
          let timer: NodeJS.Timeout | undefined;
          const outcome = await new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve("timeout"), 60_000);
            stream.on("error", (e: Error) => resolve(`stream error: ${e.message}`));
            stream.on("data", (m: { partition: number; offset: bigint; value: string }) => {
              got.push({ partition: m.partition, offset: Number(m.offset), value: m.value });
              if (got.length >= expect) resolve("ok");
            });
          });
          clearTimeout(timer);
          assert.equal(outcome, "ok", `@platformatic/kafka consumed ${got.length} of ${expect} records`);
          const assigned = sorted((consumer.assignments ?? []).flatMap((a) => (a.topic === topic ? a.partitions : [])));
          console.log(`# @platformatic/kafka: assigned [${assigned}], ${got.length} records`);
          assert.deepEqual(assigned, [0, 1, 2, 3]);
          // Stops fetching and waits for the pending autocommit.
          await stream.close();
        } finally {
          await consumer.close();
        }
        assert.deepEqual(commitErrors, [], "autocommit errors");
        return got;
      });
    } finally {
      await tb.stop();
    }
  },
);
