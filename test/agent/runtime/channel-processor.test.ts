/**
 * A batch larger than a channel's transactionCapacity: the channel says
 * "transaction too large" (not "full"), and the channel processor splits the
 * batch into transactions the channel can hold, so nothing is retried forever.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { ChannelFullError, TransactionTooLargeError, type Event } from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";
import { DefaultChannelProcessor } from "../../../src/agent/runtime/channel-processor.js";
import { ReplicatingSelector } from "../../../src/agent/runtime/selectors.js";
import { BatchDelivery } from "../../../src/agent/sources/delivery.js";
import { SourceCounter } from "../../../src/agent/counters.js";

const ev = (i: number): Event => ({ headers: {}, body: Buffer.from(String(i)) });

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: "warn" }, { write: (s: string) => lines.push(JSON.parse(s).msg) }) };
}

async function drain(ch: MemoryChannel): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const tx = ch.getTransaction();
    tx.begin();
    const batch: string[] = [];
    for (let i = 0; i < 100; i++) {
      const e = await tx.take();
      if (!e) break;
      batch.push(e.body.toString());
    }
    await tx.commit();
    tx.close();
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

test("memory channel: a put over transactionCapacity is TransactionTooLargeError, not ChannelFullError", async () => {
  const ch = new MemoryChannel("c1", { capacity: 1000, transactionCapacity: 3, keepAliveSeconds: 0 });
  ch.start();
  const tx = ch.getTransaction();
  tx.begin();
  for (let i = 0; i < 3; i++) await tx.put(ev(i));
  await assert.rejects(tx.put(ev(3)), (e: unknown) => {
    assert.ok(e instanceof TransactionTooLargeError && !(e instanceof ChannelFullError));
    assert.equal(e.code, "MR_AGENT_TX_TOO_LARGE");
    assert.equal(e.capacity, 3);
    assert.match(e.message, /^transaction too large for channel c1/);
    return true;
  });
  await tx.rollback();
  tx.close();
  ch.stop();
});

test(
  "channel processor: 500 events through transactionCapacity 100 are split into 5 transactions, " +
    "in order, logged as too large",
  async () => {
    const { logger, lines } = capture();
    const ch = new MemoryChannel("c1", { capacity: 10_000, transactionCapacity: 100, keepAliveSeconds: 0 });
    ch.start();
    const cp = new DefaultChannelProcessor(new ReplicatingSelector([ch]), [], logger);
    await cp.processEventBatch(Array.from({ length: 500 }, (_, i) => ev(i)));
    assert.equal(ch.size(), 500);
    assert.equal(ch.counter.get("EventPutSuccessCount"), 500);
    assert.deepEqual(
      await drain(ch),
      Array.from({ length: 500 }, (_, i) => String(i)),
    );
    assert.ok(
      lines.includes(
        "transaction too large for channel c1: 500 events > transactionCapacity 100; split into 5 transactions",
      ),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => /channel full/.test(l)));
    ch.stop();
  },
);

test(
  "channel processor: a split batch into a full channel is still ChannelFullError (backpressure), " +
    "nothing half-put",
  async () => {
    const ch = new MemoryChannel("c1", { capacity: 5, transactionCapacity: 5, keepAliveSeconds: 0 });
    ch.start();
    const cp = new DefaultChannelProcessor(new ReplicatingSelector([ch]));
    await cp.processEventBatch([ev(0), ev(1), ev(2), ev(3), ev(4)]);
    await assert.rejects(cp.processEventBatch(Array.from({ length: 9 }, (_, i) => ev(i))), ChannelFullError);
    assert.equal(ch.size(), 5);
    ch.stop();
  },
);

test(
  "a stream source's delivery of 300-event batches through transactionCapacity 100 delivers " +
    "everything, without 'channel full'",
  async () => {
    const { logger, lines } = capture();
    const ch = new MemoryChannel("c1", { capacity: 10_000, transactionCapacity: 100, keepAliveSeconds: 0 });
    ch.start();
    const cp = new DefaultChannelProcessor(new ReplicatingSelector([ch]), [], logger);
    const delivery = new BatchDelivery({
      name: "r1",
      counter: new SourceCounter("a1", "r1"),
      logger,
      processor: () => cp,
      maxBatchSize: 300,
      maxBatchDurationMs: 60_000,
    });
    for (let i = 0; i < 600; i++) await delivery.add(ev(i));
    await delivery.close();
    assert.equal(ch.size(), 600);
    assert.ok(lines.some((l) => l.startsWith("transaction too large for channel c1: 300 events")));
    assert.ok(!lines.some((l) => /channel full/.test(l)), lines.join("\n"));
    ch.stop();
  },
);
