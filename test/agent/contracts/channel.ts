/**
 * The contract every channel passes. Call from a *.test.ts file:
 *
 *   channelContract("memory", ({ capacity, transactionCapacity }) =>
 *     new MemoryChannel("c1", { capacity, transactionCapacity, keepAliveSeconds: 0 }));
 *
 * makeChannel gets the limits the tests need and returns a channel that is not
 * started; a full channel must refuse quickly (keep-alive 0 or the like).
 * Options: `bounded: false` skips the capacity test for unbounded channels;
 * `cleanup` runs after each test. A channel without `transactionCapacity()`
 * (Flume's KafkaChannel has none) skips the per-transaction limit test; a
 * channel that has one must enforce it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ChannelError, ChannelFullError, type Channel, type Event } from "../../../src/agent/api.js";

export interface ChannelLimits {
  capacity: number;
  transactionCapacity: number;
}
export interface ChannelContractOptions {
  bounded?: boolean;
  cleanup?: () => void | Promise<void>;
}

const ev = (s: string, headers: Record<string, string> = {}): Event => ({ headers, body: Buffer.from(s) });

async function putCommit(ch: Channel, bodies: string[]): Promise<void> {
  const tx = ch.getTransaction();
  tx.begin();
  try {
    for (const b of bodies) await tx.put(ev(b, { n: b }));
    await tx.commit();
  } catch (e) {
    await tx.rollback();
    throw e;
  } finally {
    tx.close();
  }
}

async function takeCommit(ch: Channel, max: number): Promise<string[]> {
  const tx = ch.getTransaction();
  tx.begin();
  const out: string[] = [];
  try {
    for (let i = 0; i < max; i++) {
      const e = await tx.take();
      if (!e) break;
      out.push(e.body.toString());
    }
    await tx.commit();
  } catch (e) {
    await tx.rollback();
    throw e;
  } finally {
    tx.close();
  }
  return out;
}

/** takes everything (in transactions of up to `batch`) */
async function drain(ch: Channel, batch: number): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const got = await takeCommit(ch, batch);
    if (got.length === 0) return out;
    out.push(...got);
  }
}

export function channelContract(
  name: string,
  makeChannel: (limits: ChannelLimits) => Channel | Promise<Channel>,
  options: ChannelContractOptions = {},
): void {
  const limits: ChannelLimits = { capacity: 20, transactionCapacity: 5 };
  async function withChannel(fn: (ch: Channel) => Promise<void>, l: ChannelLimits = limits): Promise<void> {
    const ch = await makeChannel(l);
    await ch.start();
    try {
      await fn(ch);
    } finally {
      await ch.stop();
      await options.cleanup?.();
    }
  }

  describe(`channel contract: ${name}`, () => {
    test("committed puts are visible to takers, in order, with headers", async () => {
      await withChannel(async (ch) => {
        await putCommit(ch, ["a", "b", "c"]);
        assert.equal(ch.size(), 3);
        const tx = ch.getTransaction();
        tx.begin();
        const e = await tx.take();
        assert.equal(e?.body.toString(), "a");
        assert.equal(e?.headers.n, "a");
        await tx.commit();
        tx.close();
        assert.deepEqual(await drain(ch, 5), ["b", "c"]);
        assert.equal(ch.size(), 0);
      });
    });

    test("uncommitted and rolled-back puts are invisible", async () => {
      await withChannel(async (ch) => {
        const tx = ch.getTransaction();
        tx.begin();
        await tx.put(ev("x"));
        await tx.put(ev("y"));
        assert.deepEqual(await takeCommit(ch, 5), [], "a put is invisible before commit");
        await tx.rollback();
        tx.close();
        assert.equal(ch.size(), 0);
        assert.deepEqual(await drain(ch, 5), []);
      });
    });

    test("rolled-back takes return to the channel in their order", async () => {
      await withChannel(async (ch) => {
        await putCommit(ch, ["1", "2", "3", "4"]);
        const tx = ch.getTransaction();
        tx.begin();
        assert.equal((await tx.take())?.body.toString(), "1");
        assert.equal((await tx.take())?.body.toString(), "2");
        await tx.rollback();
        tx.close();
        assert.equal(ch.size(), 4);
        assert.deepEqual(await drain(ch, 5), ["1", "2", "3", "4"]);
      });
    });

    test("a transaction holds at most transactionCapacity puts (ChannelFullError)", async (t) => {
      await withChannel(async (ch) => {
        if (ch.transactionCapacity === undefined)
          return void t.skip("no transactionCapacity (as in Flume for this channel)");
        assert.equal(ch.transactionCapacity(), limits.transactionCapacity);
        const tx = ch.getTransaction();
        tx.begin();
        for (let i = 0; i < limits.transactionCapacity; i++) await tx.put(ev(String(i)));
        // Flume's memory and file channels throw a ChannelException here (ChannelFullException is for a full channel)
        await assert.rejects(tx.put(ev("over")), (e) => e instanceof ChannelFullError || e instanceof ChannelError);
        await tx.rollback();
        tx.close();
        assert.equal(ch.size(), 0);
      });
    });

    test("a full channel refuses the commit with ChannelFullError and keeps what it has", async (t) => {
      if (options.bounded === false) return t.skip("unbounded channel");
      await withChannel(async (ch) => {
        for (let i = 0; i < limits.capacity; i += limits.transactionCapacity) {
          await putCommit(
            ch,
            Array.from({ length: limits.transactionCapacity }, (_, j) => String(i + j)),
          );
        }
        assert.equal(ch.size(), limits.capacity);
        await assert.rejects(putCommit(ch, ["over"]), ChannelFullError);
        assert.equal(ch.size(), limits.capacity);
        // taking one frees one slot
        assert.deepEqual(await takeCommit(ch, 1), ["0"]);
        await putCommit(ch, ["last"]);
        const all = await drain(ch, limits.transactionCapacity);
        assert.equal(all.length, limits.capacity);
        assert.equal(all.at(-1), "last");
      });
    });

    test("size() follows commits, not puts or takes in flight", async () => {
      await withChannel(async (ch) => {
        assert.equal(ch.size(), 0);
        await putCommit(ch, ["a", "b"]);
        assert.equal(ch.size(), 2);
        const tx = ch.getTransaction();
        tx.begin();
        await tx.put(ev("c"));
        assert.equal(ch.size(), 2);
        await tx.commit();
        tx.close();
        assert.equal(ch.size(), 3);
        await takeCommit(ch, 2);
        assert.equal(ch.size(), 1);
      });
    });

    test("concurrent transactions: interleaved puts and takes lose and duplicate nothing", async () => {
      await withChannel(
        async (ch) => {
          const writers = [0, 1, 2].map(async (w) => {
            for (let b = 0; b < 4; b++) {
              await putCommit(
                ch,
                Array.from({ length: 5 }, (_, i) => `${w}-${b * 5 + i}`),
              );
            }
          });
          // each reader sees each writer's events in order (two readers split the stream,
          // so there is no order across readers, as with two sinks on one Flume channel)
          const perReader: string[][] = [[], [], []];
          let done = false;
          const readers = [0, 1].map(async (r) => {
            while (!done || ch.size() > 0) {
              const got = await takeCommit(ch, 5);
              perReader[r].push(...got);
              if (got.length === 0) await new Promise((res) => setTimeout(res, 1));
            }
          });
          await Promise.all(writers);
          done = true;
          await Promise.all(readers);
          perReader[2].push(...(await drain(ch, 5)));
          const seen = perReader.flat();
          assert.equal(seen.length, 60);
          assert.equal(new Set(seen).size, 60);
          for (const [r, list] of perReader.entries()) {
            for (const w of [0, 1, 2]) {
              const mine = list.filter((s) => s.startsWith(`${w}-`)).map((s) => Number(s.split("-")[1]));
              assert.deepEqual(
                mine,
                [...mine].sort((a, b) => a - b),
                `reader ${r} sees writer ${w}'s events in order`,
              );
            }
          }
        },
        { capacity: 100, transactionCapacity: 5 },
      );
    });
  });
}
