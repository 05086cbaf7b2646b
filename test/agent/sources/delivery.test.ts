import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context, event } from "../../../src/agent/api.js";
import { SourceCounter } from "../../../src/agent/counters.js";
import { BatchDelivery, DeliveryClosedError } from "../../../src/agent/sources/delivery.js";
import { createReplaySource } from "../../../src/agent/sources/replay.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });

function delivery(cp: CollectingProcessor, size: number, durationMs = 60_000) {
  const counter = new SourceCounter("a1", "r1");
  const committed: number[][] = [];
  const d = new BatchDelivery<number>({
    name: "r1",
    counter,
    logger,
    processor: () => cp,
    maxBatchSize: size,
    maxBatchDurationMs: durationMs,
    channelFullBackoffMs: 5,
    onCommitted: (_e, meta) => void committed.push(meta),
  });
  return { d, counter, committed };
}

describe("batch delivery", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it("hands over full batches, and partial ones after maxBatchDuration, with Flume's counters", async () => {
    const cp = new CollectingProcessor();
    const { d, counter, committed } = delivery(cp, 3, 30);
    for (let i = 0; i < 7; i++) await d.add(event(`e${i}`), i);
    assert.deepEqual(
      cp.batches.map((b) => b.length),
      [3, 3],
    );
    await waitFor(() => cp.batches.length === 3, "the timed flush of the last event");
    assert.deepEqual(committed, [[0, 1, 2], [3, 4, 5], [6]]);
    assert.equal(counter.get("EventReceivedCount"), 7);
    assert.equal(counter.get("EventAcceptedCount"), 7);
    assert.equal(counter.get("AppendBatchReceivedCount"), 3);
    assert.equal(counter.get("AppendBatchAcceptedCount"), 3);
    await d.close();
  });

  it("blocks the adder while the channel is full and retries the same batch", async () => {
    const cp = new CollectingProcessor();
    cp.full = true;
    const { d, counter } = delivery(cp, 2);
    await d.add(event("a"));
    let added = false;
    const p = d.add(event("b")).then(() => (added = true));
    await waitFor(() => cp.rejections >= 3, "retries");
    assert.equal(added, false, "add() waits while the batch cannot be delivered");
    assert.ok(d.waitingForChannel);
    cp.full = false;
    await p;
    assert.deepEqual(cp.bodies(), ["a", "b"]);
    assert.equal(counter.get("ChannelWriteFail"), cp.rejections);
    assert.equal(counter.get("EventReceivedCount"), 2, "a retried batch is received once");
    await d.close();
  });

  it("close() ends a wait on a full channel and refuses further adds", async () => {
    const cp = new CollectingProcessor();
    cp.full = true;
    const { d } = delivery(cp, 1);
    const p = d.add(event("x"));
    await waitFor(() => cp.rejections >= 2, "retries");
    await d.close();
    await assert.rejects(p);
    await assert.rejects(d.add(event("y")), DeliveryClosedError);
  });

  it("a source stops promptly while its channel stays full", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const f = join(dir, "in.jsonl");
    writeFileSync(f, Array.from({ length: 100 }, (_, i) => JSON.stringify({ n: i })).join("\n"));
    const src = createReplaySource(
      "r",
      Context.of({ file: f, rate: "max", batchSize: "10", channelFullBackoffMs: "5" }),
      { agentName: "a1", logger },
    );
    const cp = new CollectingProcessor();
    cp.full = true;
    src.setChannelProcessor(cp);
    src.start();
    await waitFor(() => cp.rejections >= 3, "a full channel");
    await src.stop();
    assert.equal(cp.events.length, 0);
    assert.equal(src.stats.lines, 10);
  });
});
