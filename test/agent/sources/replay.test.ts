import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createReplaySource, detectTimestampField, parseRate, toMillis } from "../../../src/agent/sources/replay.js";
import type { Clock } from "../../../src/agent/sources/clock.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "a1", logger };

/** a clock that moves only when slept on, recording each sleep */
function fakeClock(start = 1_000_000): Clock & { sleeps: number[] } {
  let t = start;
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

const v2 = (id: number, sec: number) =>
  JSON.stringify({
    data: { id: String(id), text: `t${id}`, created_at: new Date(Date.UTC(2024, 0, 1, 0, 0, sec)).toISOString() },
  });

describe("replay source", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));
  const file = (lines: string[]) => {
    const d = tempDir();
    dirs.push(d);
    const f = join(d, "in.jsonl");
    writeFileSync(f, lines.join("\n") + "\n");
    return { dir: d, file: f };
  };
  function run(props: Record<string, string>, clock?: Clock) {
    const src = createReplaySource("replay", Context.of(props, "a1.sources.replay"), env, clock);
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    src.start();
    return { src, cp };
  }

  it("detects timestamps of v2, v1.1, Jetstream and Wikimedia records and reads their units", () => {
    assert.equal(detectTimestampField(JSON.parse(v2(1, 0))), "data.created_at");
    assert.equal(detectTimestampField({ created_at: "Wed Oct 10 20:19:24 +0000 2018", text: "v1.1" }), "created_at");
    assert.equal(detectTimestampField({ did: "d", time_us: 1_725_911_162_329_308 }), "time_us");
    assert.equal(detectTimestampField({ meta: { dt: "2024-01-01T00:00:00Z" } }), "meta.dt");
    assert.equal(detectTimestampField({ text: "none" }), undefined);
    assert.equal(toMillis("Wed Oct 10 20:19:24 +0000 2018"), Date.UTC(2018, 9, 10, 20, 19, 24));
    assert.equal(toMillis(1_725_911_162_329_308, "time_us"), 1_725_911_162_329);
    assert.equal(toMillis(1_725_911_162, "timestamp"), 1_725_911_162_000);
    assert.equal(toMillis(1_725_911_162_329), 1_725_911_162_329);
    assert.equal(parseRate("recorded"), 1);
    assert.equal(parseRate("10x"), 10);
    assert.equal(parseRate("2.5×"), 2.5);
    assert.equal(parseRate("max"), Infinity);
    assert.equal(parseRate("fast"), undefined);
  });

  it(
    "replays every good line in order at max rate and " + "dead-letters malformed ones with their line number",
    async () => {
      const lines = [
        v2(1, 0),
        "{broken",
        v2(2, 1),
        "",
        "[1,2]",
        v2(3, 2),
        JSON.stringify({ did: "x", time_us: 1 }),
        v2(4, 3),
      ];
      const { dir, file: f } = file(lines);
      const { src, cp } = run({ file: f, rate: "max", batchSize: "2", "deadLetter.file": join(dir, "dead.jsonl") });
      try {
        await waitFor(() => src.stats.finished, "the end of the file");
        assert.deepEqual(cp.bodies(), [lines[0], lines[2], lines[5], lines[6], lines[7]]);
        assert.deepEqual(
          cp.events.map((e) => e.headers.line),
          ["1", "3", "6", "7", "8"],
        );
        assert.equal(cp.events[0]!.headers.recordedTimestamp, String(Date.UTC(2024, 0, 1)));
        assert.equal(src.counter.get("EventReadFail"), 2);
        assert.equal(src.counter.get("EventAcceptedCount"), 5);
        await src.deadLetters.flushed();
        const dead = readFileSync(join(dir, "dead.jsonl"), "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { line: number; raw: string });
        assert.deepEqual(
          dead.map((d) => [d.line, d.raw]),
          [
            [2, "{broken"],
            [5, "[1,2]"],
          ],
        );
      } finally {
        await src.stop();
      }
    },
  );

  it("paces by the recorded timestamps, scaled by the rate", async () => {
    const lines = [v2(1, 0), v2(2, 2), v2(3, 2), v2(4, 3), v2(5, 1) /* out of order: no wait */, v2(6, 7)];
    const { file: f } = file(lines);
    for (const [rate, expected] of [
      ["recorded", [2000, 1000, 4000]],
      ["2x", [1000, 500, 2000]],
    ] as const) {
      const clock = fakeClock();
      const { src, cp } = run({ file: f, rate, batchSize: "100" }, clock);
      try {
        await waitFor(() => src.stats.finished, "the end of the file");
        assert.deepEqual(clock.sleeps, expected, `sleeps at rate ${rate}`);
        assert.deepEqual(
          cp.events.map((e) => e.headers.recordedTimestamp),
          lines.map((l) => String(Date.parse((JSON.parse(l) as { data: { created_at: string } }).data.created_at))),
        );
        // what was due went out before each pause: 1 | 2,3 | 4,5 | 6
        assert.deepEqual(
          cp.batches.map((b) => b.length),
          [1, 2, 2, 1],
        );
      } finally {
        await src.stop();
      }
    }
  });

  it("uses a configured timestampField and loops", async () => {
    const lines = [1, 2, 3].map((i) => JSON.stringify({ n: i, at: { ms: 1_700_000_000_000 + i * 10 } }));
    const { file: f } = file(lines);
    const clock = fakeClock();
    const { src, cp } = run(
      { file: f, rate: "recorded", timestampField: "at.ms", loop: "true", batchSize: "1" },
      clock,
    );
    try {
      await waitFor(() => cp.events.length >= 9, "three cycles");
      assert.deepEqual(
        cp.events.slice(0, 9).map((e) => (JSON.parse(e.body.toString()) as { n: number }).n),
        [1, 2, 3, 1, 2, 3, 1, 2, 3],
      );
      assert.deepEqual(clock.sleeps.slice(0, 4), [10, 10, 10, 10]);
      assert.ok(src.stats.cycles >= 2);
    } finally {
      await src.stop();
    }
  });

  it("pauses on a full channel and loses nothing", async () => {
    const lines = Array.from({ length: 40 }, (_, i) => v2(i, i));
    const { file: f } = file(lines);
    const src = createReplaySource(
      "replay",
      Context.of({ file: f, rate: "max", batchSize: "4", channelFullBackoffMs: "5" }),
      env,
    );
    const cp = new CollectingProcessor();
    cp.capacity = 8;
    src.setChannelProcessor(cp);
    src.start();
    try {
      await waitFor(() => cp.rejections >= 3, "a full channel");
      assert.equal(src.stats.lines, 12, "reading stopped behind the waiting batch");
      const got: string[] = [];
      while (got.length < 40) {
        got.push(...cp.drain().map((e) => e.body.toString()));
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.deepEqual(got, lines);
    } finally {
      await src.stop();
    }
  });

  it("refuses a bad rate", () => {
    assert.throws(
      () => createReplaySource("r", Context.of({ file: "x", rate: "soon" }, "a1.sources.r"), env),
      /a1\.sources\.r\.rate must be recorded, max or a speed/,
    );
    assert.throws(
      () => createReplaySource("r", Context.of({}, "a1.sources.r"), env),
      /a1\.sources\.r\.file is required/,
    );
  });
});
