import { test } from "node:test";
import assert from "node:assert/strict";
import { ChannelFullError, Context } from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";
import { channelContract } from "../contracts/channel.js";
import pino from "pino";

channelContract(
  "memory",
  ({ capacity, transactionCapacity }) =>
    new MemoryChannel("c1", { capacity, transactionCapacity, keepAliveSeconds: 0 }),
);

const env = { agentName: "a1", logger: pino({ level: "silent" }) };

async function put(ch: MemoryChannel, bodies: Buffer[]): Promise<void> {
  const tx = ch.getTransaction();
  tx.begin();
  try {
    for (const b of bodies) await tx.put({ headers: {}, body: b });
    await tx.commit();
  } catch (e) {
    await tx.rollback();
    throw e;
  } finally {
    tx.close();
  }
}

test("byteCapacity bounds the bytes of bodies held; the refused commit changes nothing", async () => {
  const ch = new MemoryChannel("c1", {
    capacity: 1000,
    transactionCapacity: 100,
    byteCapacity: 10_000,
    byteCapacityBufferPercentage: 0,
    keepAliveSeconds: 0,
  });
  ch.start();
  await put(ch, [Buffer.alloc(6000)]);
  await assert.rejects(put(ch, [Buffer.alloc(5000)]), ChannelFullError);
  assert.equal(ch.size(), 1);
  assert.ok(ch.bytesInUse() <= 10_000);
  const tx = ch.getTransaction();
  tx.begin();
  await tx.take();
  await tx.commit();
  tx.close();
  assert.equal(ch.bytesInUse(), 0);
  await put(ch, [Buffer.alloc(5000)]);
  ch.stop();
});

test("keep-alive: a commit waits for a sink to make room instead of failing", async () => {
  const ch = new MemoryChannel("c1", { capacity: 2, transactionCapacity: 2, keepAliveSeconds: 30 });
  ch.start();
  await put(ch, [Buffer.from("a"), Buffer.from("b")]);
  let done = false;
  const waiting = put(ch, [Buffer.from("c")]).then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, "the commit waits while the channel is full");
  const tx = ch.getTransaction();
  tx.begin();
  await tx.take();
  await tx.commit();
  tx.close();
  await waiting;
  assert.equal(ch.size(), 2);
  ch.stop();
});

test("counters: put/take attempts and successes, rollbacks, size and fill percentage", async () => {
  const ch = new MemoryChannel("c9", { capacity: 10, transactionCapacity: 5, keepAliveSeconds: 0 });
  ch.start();
  await put(ch, [Buffer.from("a"), Buffer.from("b")]);
  const tx = ch.getTransaction();
  tx.begin();
  await tx.take();
  await tx.rollback();
  tx.close();
  const c = ch.counter;
  assert.equal(c.get("EventPutAttemptCount"), 2);
  assert.equal(c.get("EventPutSuccessCount"), 2);
  assert.equal(c.get("EventTakeAttemptCount"), 1);
  assert.equal(c.get("EventTakeSuccessCount"), 0);
  assert.equal(c.get("RollbackCounter"), 1);
  assert.equal(c.get("ChannelSize"), 2);
  assert.equal(c.get("ChannelCapacity"), 10);
  assert.equal(c.get("ChannelFillPercentage"), 20);
  ch.stop();
});

test("config: transactionCapacity > capacity and bad numbers name the key", () => {
  assert.throws(
    () =>
      MemoryChannel.fromContext("c1", Context.of({ capacity: "10", transactionCapacity: "20" }, "a1.channels.c1"), env),
    /a1\.channels\.c1\.transactionCapacity.*capacity/,
  );
  assert.throws(
    () => MemoryChannel.fromContext("c1", Context.of({ capacity: "ten" }, "a1.channels.c1"), env),
    /a1\.channels\.c1\.capacity must be an integer/,
  );
  // like Flume, the default transactionCapacity (100) must fit a smaller capacity too
  assert.throws(
    () => MemoryChannel.fromContext("c1", Context.of({ capacity: "50" }), env),
    /transactionCapacity \(100\)/,
  );
  const ch = MemoryChannel.fromContext("c1", Context.of({ capacity: "500", "keep-alive": "1" }), env);
  assert.equal(ch.capacity(), 500);
  assert.equal(ch.transactionCapacity(), 100);
  assert.equal(ch.keepAliveMs, 1000);
});
