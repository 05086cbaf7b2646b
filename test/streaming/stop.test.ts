import { test } from "node:test";
import assert from "node:assert/strict";
import { StreamingContext } from "../../src/streaming/context.js";
import { waitFor } from "./helpers.js";

// Before the fix this spun in microtasks forever (kick → runQueue returned at once → kick ...), starving
// even timers: the file then hangs until the runner kills it.
test("stop() (not graceful) while batches are queued behind a slow one resolves and runs none of them", async () => {
  const ssc = new StreamingContext({ appName: "stop-queued", batchInterval: 20, master: "local[2]" });
  const ran: number[] = [];
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  ssc.queueStream([[1], [2], [3], [4], [5], [6]]).foreachRDD(async (rdd) => {
    const xs = await rdd.collect();
    ran.push(...xs);
    if (xs[0] === 1) await slow;
  });
  await ssc.start();
  await waitFor(() => ran.length === 1, "the first batch running");
  // batches keep being generated while the first one is held
  await new Promise((r) => setTimeout(r, 200));
  const stopped = ssc.stop();
  release();
  const outcome = await Promise.race([stopped.then(() => "stopped"), new Promise((r) => setTimeout(() => r("hung"), 30_000).unref())]);
  assert.equal(outcome, "stopped", "stop() did not resolve");
  assert.equal(ssc.state, "stopped");
  assert.deepEqual(ran, [1], "queued batches do not run after a non-graceful stop");
});
