import { describe, it } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createTweetsSource, tweetSuppliers, type TweetSupplier } from "../../../src/agent/sources/tweets.js";
import type { Clock } from "../../../src/agent/sources/clock.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "a1", logger };

/** a stand-in for src/social/generator.ts: deterministic under a seed */
function fakeGenerator(seed: number): TweetSupplier & { calls: number[] } {
  let n = 0;
  let x = seed;
  const calls: number[] = [];
  return {
    calls,
    next(nowMs: number) {
      calls.push(nowMs);
      x = (x * 1103515245 + 12345) % 2 ** 31;
      n++;
      return {
        data: { id: String(seed * 1_000_000 + n), text: `#tag${x % 5}`, created_at: new Date(nowMs).toISOString() },
      };
    },
  };
}

function fakeClock(): Clock & { sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    async sleep(ms: number) {
      sleeps.push(ms);
      t += ms;
      await new Promise((r) => setImmediate(r));
      return true;
    },
  };
}

describe("tweets (synthetic) source", () => {
  it("emits totalEvents tweets as fast as possible, deterministic under a seed", async () => {
    const runOnce = async () => {
      const gen = fakeGenerator(7);
      const src = createTweetsSource(
        "gen",
        Context.of({
          eventsPerSecond: "0",
          seed: "7",
          totalEvents: "2500",
          batchSize: "100",
          startTime: "2024-01-01T00:00:00Z",
        }),
        env,
        gen,
      );
      const cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      src.start();
      await waitFor(() => src.stats.finished, "2500 tweets");
      await src.stop();
      return { cp, gen, src };
    };
    const a = await runOnce();
    const b = await runOnce();
    assert.equal(a.cp.events.length, 2500);
    assert.equal(a.cp.batches.length, 25);
    assert.deepEqual(a.cp.bodies(), b.cp.bodies());
    assert.equal(a.cp.events[0]!.headers.timestamp, String(Date.UTC(2024, 0, 1)));
    assert.equal(
      a.cp.events[50]!.headers.timestamp,
      String(Date.UTC(2024, 0, 1) + 1000),
      "simulated time runs at 50 events/s by default",
    );
    assert.equal(a.cp.events[9]!.headers.id, "7000010");
    assert.equal(a.src.counter.get("EventAcceptedCount"), 2500);
  });

  it("paces to eventsPerSecond, flushing what is due before each pause", async () => {
    const clock = fakeClock();
    const gen = fakeGenerator(1);
    const src = createTweetsSource(
      "gen",
      Context.of({ eventsPerSecond: "4", totalEvents: "6", batchSize: "100", startTime: "0" }),
      env,
      gen,
      clock,
    );
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    src.start();
    try {
      await waitFor(() => src.stats.finished, "6 tweets");
      assert.deepEqual(clock.sleeps, [250, 250, 250, 250, 250]);
      assert.deepEqual(gen.calls, [0, 250, 500, 750, 1000, 1250]);
      assert.equal(cp.batches.length, 6);
    } finally {
      await src.stop();
    }
  });

  it("uses the synthetic generator by default: v2 payloads, the same ones for the same seed", async () => {
    const run = async () => {
      const src = createTweetsSource(
        "gen",
        Context.of({ eventsPerSecond: "0", seed: "7", totalEvents: "20", startTime: "1735689600000" }),
        env,
      );
      const cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      src.start();
      await waitFor(() => src.stats.finished, "20 tweets");
      await src.stop();
      return cp.events.map((e) => e.body.toString());
    };
    const a = await run();
    assert.equal(a.length, 20);
    for (const body of a) assert.ok(JSON.parse(body).data.text, "a v2 tweet with text");
    assert.deepEqual(await run(), a);
  });

  it("uses a swapped-in generator", async () => {
    const real = tweetSuppliers.create;
    tweetSuppliers.create = ({ seed }) => fakeGenerator(seed);
    try {
      const src = createTweetsSource("gen", Context.of({ eventsPerSecond: "0", seed: "3", totalEvents: "5" }), env);
      const cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      src.start();
      await waitFor(() => src.stats.finished, "5 tweets");
      await src.stop();
      assert.equal(cp.events[0]!.headers.id, "3000001");
    } finally {
      tweetSuppliers.create = real;
    }
  });
});
