import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { containerToDocs } from "../../../src/formats/flume-twitter-doc.js";
import { createTwitterSource, twitterAvro, type TwitterSource } from "../../../src/agent/sources/twitter.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { fakeX, ok, steady, tweet, type Script } from "../helpers/fake-x.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "TwitterAgent", logger };

/** log lines written by the source (pino JSON), to check what it reports */
const logged: { msg: string; gapMs?: number; kind?: string; waitMs?: number }[] = [];
const capture = pino({ level: "info" }, { write: (line: string) => void logged.push(JSON.parse(line)) });

function source(ctx: Record<string, string>, log = false): { src: TwitterSource; cp: CollectingProcessor } {
  const src = createTwitterSource(
    "Twitter",
    Context.of(ctx, "TwitterAgent.sources.Twitter"),
    log ? { ...env, logger: capture } : env,
  );
  const cp = new CollectingProcessor();
  src.setChannelProcessor(cp);
  return { src, cp };
}

const fastBackoff = {
  "backoff.networkStepMs": "20",
  "backoff.networkMaxMs": "100",
  "backoff.httpInitialMs": "20",
  "backoff.httpMaxMs": "100",
  "backoff.rateLimitInitialMs": "20",
  "backoff.rateLimitMaxMs": "3000",
};

describe("twitter source against a local X API v2", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it(
    "gets a token, syncs rules, survives disconnects, 429, 503, stalls and bad lines, and delivers " +
      "every good tweet once",
    async () => {
      const dir = tempDir();
      dirs.push(dir);
      let resetAt = 0;
      const scripts: Script[] = [
        // 1: keep-alive, tweets 1-3, a malformed line, tweet 4, then a line cut off mid-object and a dropped connection
        (res) => {
          ok(res);
          res.write("\r\n");
          res.write(tweet(1) + "\r\n" + tweet(2) + "\r\n");
          res.write(tweet(3) + "\r\n{not json at all\r\n" + tweet(4) + "\r\n");
          res.write(tweet(99).slice(0, 40), () => setTimeout(() => res.socket?.destroy(), 20));
        },
        // 2: rate limited until the next whole second
        (res) => {
          resetAt = Math.ceil(Date.now() / 1000) + 1;
          res
            .writeHead(429, { "x-rate-limit-reset": String(resetAt), "content-type": "application/json" })
            .end(JSON.stringify({ title: "Too Many Requests" }));
        },
        // 3: service unavailable
        (res) => res.writeHead(503).end("busy"),
        // 4: tweets 5-7 among keep-alives and an in-stream error message, then a clean end
        (res) => {
          ok(res);
          res.write(tweet(5) + "\r\n\r\n" + tweet(6) + "\r\n");
          res.write(
            JSON.stringify({
              errors: [{ title: "operational-disconnect", disconnect_type: "UpstreamOperationalDisconnect" }],
            }) + "\r\n",
          );
          res.end(tweet(7) + "\r\n");
        },
        // 5: tweet 8 then silence: the stall watchdog must reconnect
        (res) => {
          ok(res);
          res.write(tweet(8) + "\r\n");
        },
        // 6: tweets 9 and 10, a JSON line that is not a tweet, then keep-alives forever
        steady([tweet(9), JSON.stringify({ hello: "world" }), tweet(10)]),
      ];
      const x = await fakeX(scripts, {
        rules: [
          { id: "1", value: "old keyword", tag: "someone" },
          { id: "2", value: "flume", tag: "millrace" },
        ],
      });
      const dlq = join(dir, "dead", "twitter.jsonl");
      const { src, cp } = source(
        {
          type: "org.apache.flume.source.twitter.TwitterSource",
          consumerKey: "ck",
          consumerSecret: "cs",
          accessToken: "at",
          accessTokenSecret: "ats",
          keywords: "flume, kafka ,spark",
          maxBatchSize: "3",
          maxBatchDurationMillis: "50",
          apiBaseUrl: x.url,
          stallTimeoutMs: "400",
          "deadLetter.file": dlq,
          ...fastBackoff,
        },
        true,
      );
      try {
        src.start();
        await waitFor(() => cp.events.length >= 10, "10 tweets");
        await waitFor(() => src.counter.get("EventReadFail") >= 3, "3 dead letters");
        // nothing more arrives
        await new Promise((r) => setTimeout(r, 200));
        const ids = cp.events.map((e) => e.headers.id);
        assert.deepEqual(
          ids,
          Array.from({ length: 10 }, (_, i) => String(1001 + i)),
        );
        assert.equal(cp.events[0]!.headers.timestamp, String(Date.UTC(2024, 0, 1, 0, 0, 1)));
        assert.deepEqual(
          JSON.parse(cp.events[0]!.body.toString()),
          JSON.parse(tweet(1)),
          "body is the v2 line with includes and matching_rules",
        );
        // auth and rules
        assert.equal(x.tokenCalls, 1);
        assert.deepEqual(x.ruleCalls, ["GET", "DELETE 1", "ADD kafka/millrace,spark/millrace"]);
        assert.deepEqual(x.rules.map((r) => r.value).sort(), ["flume", "kafka", "spark"]);
        assert.equal(x.streamRequests.length, 6);
        for (const r of x.streamRequests) {
          assert.equal(r.auth, "Bearer APPTOKEN");
          assert.match(r.path, /^\/2\/tweets\/search\/stream\?/);
          assert.match(r.path, /tweet\.fields=/);
          assert.match(r.path, /expansions=author_id/);
          assert.match(r.path, /user\.fields=/);
        }
        // the 429's reset time was honoured
        assert.ok(x.streamRequests[2]!.at >= resetAt * 1000, "reconnected before x-rate-limit-reset");
        // counters and dead letters
        assert.equal(src.counter.get("EventReadFail"), 3);
        assert.equal(src.counter.get("EventAcceptedCount"), 10);
        assert.equal(src.counter.get("EventReceivedCount"), 10);
        assert.equal(src.stats.streamErrors, 1);
        assert.ok(src.stats.keepAlives >= 2);
        await src.deadLetters.flushed();
        const dead = readFileSync(dlq, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { reason: string; raw: string; source: string });
        assert.equal(dead.length, 3);
        assert.match(dead[0]!.reason, /not JSON/);
        assert.equal(dead[0]!.raw, "{not json at all");
        assert.match(dead[1]!.reason, /cut off/);
        assert.equal(dead[1]!.raw, tweet(99).slice(0, 40));
        assert.match(dead[2]!.reason, /not a tweet/);
        assert.equal(dead[2]!.source, "Twitter");
        // every disconnection is logged with its kind and wait, every reconnection as a gap with its length
        const disconnects = logged.filter((l) => l.msg.startsWith("twitter stream disconnected"));
        assert.deepEqual(
          disconnects.map((l) => l.kind),
          ["network", "rate-limit", "http", "network", "network"],
        );
        const gaps = logged.filter((l) => l.msg.startsWith("stream reconnected after"));
        assert.equal(gaps.length, 3, "drop..429..503 is one gap, then the clean end and the stall");
        for (const g of gaps) assert.equal(typeof g.gapMs, "number");
      } finally {
        await src.stop();
        await x.close();
      }
    },
  );

  it("reads the sample stream with a configured bearer token and no keywords", async () => {
    const x = await fakeX([steady([tweet(1), tweet(2)])]);
    const { src, cp } = source({
      bearerToken: "APPTOKEN",
      apiBaseUrl: x.url,
      maxBatchDurationMillis: "20",
      ...fastBackoff,
    });
    try {
      src.start();
      await waitFor(() => cp.events.length === 2, "2 tweets");
      assert.equal(x.tokenCalls, 0);
      assert.deepEqual(x.ruleCalls, []);
      assert.match(x.streamRequests[0]!.path, /^\/2\/tweets\/sample\/stream/);
    } finally {
      await src.stop();
      await x.close();
    }
  });

  it("pauses reading while the channel is full and loses nothing", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => tweet(i + 1));
    const x = await fakeX([steady(lines)]);
    const { src, cp } = source({
      bearerToken: "APPTOKEN",
      apiBaseUrl: x.url,
      maxBatchSize: "5",
      maxBatchDurationMillis: "20",
      stallTimeoutMs: "100",
      channelFullBackoffMs: "10",
      ...fastBackoff,
    });
    cp.capacity = 10;
    try {
      src.start();
      await waitFor(() => cp.rejections >= 8, "the channel to refuse several times");
      // two batches in, one batch waiting: the reader stopped at the 15th line
      assert.equal(cp.events.length, 10);
      assert.equal(src.counter.get("EventReceivedCount"), 15);
      assert.ok(src.counter.get("ChannelWriteFail") >= 8);
      assert.equal(src.stats.connects, 1, "a full channel is not a stalled stream");
      let seen: string[] = [];
      while (seen.length < 50) {
        seen = seen.concat(cp.drain().map((e) => e.headers.id!));
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 50 }, (_, i) => String(1001 + i)),
      );
      assert.equal(src.stats.connects, 1);
    } finally {
      await src.stop();
      await x.close();
    }
  });

  it("emits one event per batch through the Avro encoder when format = avro", async () => {
    const x = await fakeX([steady([tweet(1), tweet(2), tweet(3), tweet(4)])]);
    const real = twitterAvro.encodeBatch;
    twitterAvro.encodeBatch = (tweets) =>
      Buffer.from(JSON.stringify((tweets as { data: { id: string } }[]).map((t) => t.data.id)));
    try {
      const { src, cp } = source({
        bearerToken: "APPTOKEN",
        apiBaseUrl: x.url,
        maxBatchSize: "2",
        maxBatchDurationMillis: "1000",
        format: "avro",
        ...fastBackoff,
      });
      try {
        src.start();
        await waitFor(() => cp.events.length === 2, "2 containers");
        assert.deepEqual(cp.bodies(), ['["1001","1002"]', '["1003","1004"]']);
        assert.equal(cp.events[0]!.headers.count, "2");
      } finally {
        await src.stop();
      }
    } finally {
      twitterAvro.encodeBatch = real;
      await x.close();
    }
  });

  it("format = avro writes Flume's Doc records, one Avro container per batch", async () => {
    const x = await fakeX([steady([tweet(1), tweet(2), tweet(3)])]);
    try {
      const { src, cp } = source({
        bearerToken: "APPTOKEN",
        apiBaseUrl: x.url,
        maxBatchSize: "3",
        maxBatchDurationMillis: "1000",
        format: "avro",
        ...fastBackoff,
      });
      try {
        src.start();
        await waitFor(() => cp.events.length === 1, "1 container");
        const docs = containerToDocs(cp.events[0]!.body);
        assert.deepEqual(
          docs.map((d) => d.id),
          ["1001", "1002", "1003"],
        );
      } finally {
        await src.stop();
      }
    } finally {
      await x.close();
    }
  });

  it("refuses bad configuration naming the key", () => {
    assert.throws(() => source({ keywords: "a" }), /TwitterAgent\.sources\.Twitter\.consumerKey is required/);
    assert.throws(() => source({ bearerToken: "t", format: "xml" }), /must be json or avro/);
    assert.throws(() => source({ bearerToken: "t", maxBatchSize: "0" }), /maxBatchSize must be > 0/);
  });
});
