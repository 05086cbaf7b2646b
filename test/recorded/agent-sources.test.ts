/**
 * Optional suite (`npm run test:recorded`, not part of `npm test`): the recorded
 * real data in ../shared/data beside the project, or $MILLRACE_SHARED_DATA. It is
 * not part of a clone; the tests skip when it is absent. The twitter source reads a recorded v2
 * filtered stream served by the local v2 API, the replay source replays v1.1
 * and v2 recordings, including one whose last line is cut off.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pino from "pino";
import { Context } from "../../src/agent/api.js";
import { createReplaySource } from "../../src/agent/sources/replay.js";
import { createTwitterSource } from "../../src/agent/sources/twitter.js";
import { CollectingProcessor, waitFor } from "../agent/helpers/collecting-processor.js";
import { fakeX, steady } from "../agent/helpers/fake-x.js";

const DATA = process.env.MILLRACE_SHARED_DATA ?? resolve(process.cwd(), "../shared/data");
const have = (f: string) => existsSync(join(DATA, f));
const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "a1", logger };
const lines = (f: string) =>
  readFileSync(join(DATA, f), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");

describe("recorded real data (optional)", () => {
  it("twitter source: a recorded v2 filtered stream, its errors line logged, not delivered", {
    skip: !have("tweets-v2-filtered-stream.jsonl"),
  }, async () => {
    const rec = lines("tweets-v2-filtered-stream.jsonl");
    const tweets = rec.filter((l) => (JSON.parse(l) as { data?: unknown }).data !== undefined);
    const x = await fakeX([steady(rec)]);
    const src = createTwitterSource(
      "t",
      Context.of({ bearerToken: "APPTOKEN", keywords: "recorded", apiBaseUrl: x.url, maxBatchDurationMillis: "20" }),
      env,
    );
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    try {
      src.start();
      await waitFor(
        () => cp.events.length === tweets.length && src.stats.streamErrors === rec.length - tweets.length,
        "the recorded tweets",
      );
      assert.deepEqual(cp.bodies(), tweets);
      assert.equal(src.counter.get("EventReadFail"), 0);
      for (const e of cp.events) assert.ok(Number(e.headers.timestamp) > Date.UTC(2006, 0, 1));
    } finally {
      await src.stop();
      await x.close();
    }
  });

  it("replay: v2 stream cut off mid-object dead-letters the cut line only", {
    skip: !have("tweets-v2-filtered-stream-truncated.jsonl"),
  }, async () => {
    const rec = readFileSync(join(DATA, "tweets-v2-filtered-stream-truncated.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "");
    const src = createReplaySource(
      "r",
      Context.of({ file: join(DATA, "tweets-v2-filtered-stream-truncated.jsonl"), rate: "max" }),
      env,
    );
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    try {
      src.start();
      await waitFor(() => src.stats.finished, "the end of the file");
      assert.equal(src.counter.get("EventReadFail"), 1);
      assert.equal(cp.events.length, rec.length - 1);
      assert.equal(src.stats.timestampField, "data.created_at");
    } finally {
      await src.stop();
    }
  });

  it("replay: 966 v1.1 tweets at max rate, created_at detected", {
    skip: !have("tweets-v1.1-sample.jsonl"),
  }, async () => {
    const src = createReplaySource(
      "r",
      Context.of({ file: join(DATA, "tweets-v1.1-sample.jsonl"), rate: "max", batchSize: "100" }),
      env,
    );
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    try {
      src.start();
      await waitFor(() => src.stats.finished, "the end of the file");
      assert.equal(cp.events.length + src.counter.get("EventReadFail"), lines("tweets-v1.1-sample.jsonl").length);
      assert.equal(src.counter.get("EventReadFail"), 0);
      assert.equal(src.stats.timestampField, "created_at");
      assert.equal(src.stats.untimed, 0);
    } finally {
      await src.stop();
    }
  });
});
