/**
 * The contract every sink passes: it drains a channel (all events delivered,
 * once, in order for one sink), answers BACKOFF on an empty channel, and when
 * its downstream fails, process() rejects, the transaction rolls back and no
 * event is lost: after the downstream recovers every event is delivered.
 *
 *   sinkContract("null", (channel) => {
 *     const sink = new NullSink("k1", "a1", 10);
 *     sink.setChannel(channel);
 *     return { sink, delivered: () => ... };
 *   });
 *
 * The harness's delivered() returns the bodies the downstream holds (as
 * strings); breakDownstream/repairDownstream (optional) make it fail and
 * recover; without them the failure test is skipped.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Channel, Sink } from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";

export interface SinkHarness {
  sink: Sink;
  /** bodies the downstream received so far; undefined when the sink keeps nothing (null sink) */
  delivered(): Promise<string[] | undefined> | string[] | undefined;
  breakDownstream?(): void | Promise<void>;
  repairDownstream?(): void | Promise<void>;
  cleanup?(): void | Promise<void>;
}

async function fill(ch: Channel, n: number, prefix: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i += 10) {
    const tx = ch.getTransaction();
    tx.begin();
    for (let j = i; j < Math.min(n, i + 10); j++) {
      const b = `${prefix}-${j}`;
      bodies.push(b);
      await tx.put({ headers: { seq: String(j) }, body: Buffer.from(b) });
    }
    await tx.commit();
    tx.close();
  }
  return bodies;
}

async function drainWith(sink: Sink, ch: Channel, deadlineMs = 30000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (ch.size() > 0) {
    if (Date.now() > end) throw new Error(`channel still holds ${ch.size()} events`);
    await sink.process();
  }
}

export function sinkContract(name: string, makeSink: (channel: Channel) => SinkHarness | Promise<SinkHarness>): void {
  describe(`sink contract: ${name}`, () => {
    test("drains its channel: every event delivered once, in order; BACKOFF when empty", async () => {
      const ch = new MemoryChannel("contract", { capacity: 1000, transactionCapacity: 100 });
      ch.start();
      const h = await makeSink(ch);
      await h.sink.start();
      try {
        const bodies = await fill(ch, 250, "e");
        await drainWith(h.sink, ch);
        assert.equal(ch.size(), 0);
        const got = await h.delivered();
        if (got !== undefined) assert.deepEqual(got, bodies);
        assert.equal(await h.sink.process(), "BACKOFF");
      } finally {
        await h.sink.stop();
        ch.stop();
        await h.cleanup?.();
      }
    });

    test("a downstream failure rolls back: process() rejects and nothing is lost", async (t) => {
      const ch = new MemoryChannel("contract", { capacity: 1000, transactionCapacity: 100 });
      ch.start();
      const h = await makeSink(ch);
      if (!h.breakDownstream || !h.repairDownstream) {
        await h.cleanup?.();
        ch.stop();
        return t.skip("the harness cannot break its downstream");
      }
      await h.sink.start();
      try {
        const bodies = await fill(ch, 30, "f");
        await h.breakDownstream();
        await assert.rejects(h.sink.process());
        assert.equal(ch.size(), 30, "the failed batch went back to the channel");
        await h.repairDownstream();
        await drainWith(h.sink, ch);
        const got = (await h.delivered()) ?? [];
        assert.deepEqual([...new Set(got)].sort(), [...bodies].sort(), "every event delivered after recovery");
      } finally {
        await h.sink.stop();
        ch.stop();
        await h.cleanup?.();
      }
    });
  });
}
