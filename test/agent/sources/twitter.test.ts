import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createTwitterSource, twitterAvro, type TwitterSource } from "../../../src/agent/sources/twitter.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "TwitterAgent", logger };

function tweet(n: number): string {
  return JSON.stringify({
    data: { id: String(1000 + n), text: `tweet ${n} about #flume`, created_at: new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString(), author_id: "42" },
    includes: { users: [{ id: "42", username: "alice", name: "Alice" }] },
    matching_rules: [{ id: "r1", tag: "millrace" }],
  });
}

type Script = (res: http.ServerResponse, req: http.IncomingMessage) => void;

interface FakeX {
  url: string;
  server: http.Server;
  rules: { id: string; value: string; tag?: string }[];
  ruleCalls: string[];
  tokenCalls: number;
  streamRequests: { path: string; auth: string | undefined; at: number }[];
  close(): Promise<void>;
}

/** A local X API v2: oauth2/token, stream rules, and a stream whose connections follow `scripts`. */
async function fakeX(scripts: Script[], opts: { rules?: { id: string; value: string; tag?: string }[] } = {}): Promise<FakeX> {
  const state: Omit<FakeX, "url" | "server" | "close"> = { rules: opts.rules ?? [], ruleCalls: [], tokenCalls: 0, streamRequests: [] };
  let nextRuleId = 100;
  let conn = 0;
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (u.pathname === "/oauth2/token" && req.method === "POST") {
        state.tokenCalls++;
        const expect = "Basic " + Buffer.from("ck:cs").toString("base64");
        if (req.headers.authorization !== expect || body !== "grant_type=client_credentials") {
          res.writeHead(403).end(JSON.stringify({ errors: [{ message: "bad credentials" }] }));
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token_type: "bearer", access_token: "APPTOKEN" }));
        return;
      }
      if (req.headers.authorization !== "Bearer APPTOKEN") {
        res.writeHead(401).end(JSON.stringify({ title: "Unauthorized" }));
        return;
      }
      if (u.pathname === "/2/tweets/search/stream/rules") {
        if (req.method === "GET") {
          state.ruleCalls.push("GET");
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: state.rules.length ? state.rules : undefined, meta: { result_count: state.rules.length } }));
          return;
        }
        const b = JSON.parse(body) as { add?: { value: string; tag?: string }[]; delete?: { ids: string[] } };
        if (b.add) {
          state.ruleCalls.push("ADD " + b.add.map((r) => `${r.value}/${r.tag}`).join(","));
          const data = b.add.map((r) => ({ id: String(nextRuleId++), value: r.value, tag: r.tag }));
          state.rules.push(...data);
          res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ data, meta: { summary: { created: data.length } } }));
          return;
        }
        if (b.delete) {
          state.ruleCalls.push("DELETE " + b.delete.ids.join(","));
          state.rules = state.rules.filter((r) => !b.delete!.ids.includes(r.id));
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ meta: { summary: { deleted: b.delete.ids.length } } }));
          return;
        }
      }
      if (u.pathname === "/2/tweets/search/stream" || u.pathname === "/2/tweets/sample/stream") {
        state.streamRequests.push({ path: req.url ?? "", auth: req.headers.authorization, at: Date.now() });
        const script = scripts[Math.min(conn++, scripts.length - 1)]!;
        open.add(res);
        res.on("close", () => open.delete(res));
        script(res, req);
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const fx = state as FakeX;
  fx.url = `http://127.0.0.1:${port}`;
  fx.server = server;
  fx.close = async () => {
    for (const r of open) r.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return fx;
}

const ok = (res: http.ServerResponse) => res.writeHead(200, { "content-type": "application/json" });
/** a stream that sends `lines` then stays open with keep-alives */
const steady =
  (lines: string[]): Script =>
  (res) => {
    ok(res);
    for (const l of lines) res.write(l + "\r\n");
    const t = setInterval(() => res.write("\r\n"), 50);
    res.on("close", () => clearInterval(t));
  };

function source(ctx: Record<string, string>): { src: TwitterSource; cp: CollectingProcessor } {
  const src = createTwitterSource("Twitter", Context.of(ctx, "TwitterAgent.sources.Twitter"), env);
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

  it("gets a token, syncs rules, survives disconnects, 429, 503, stalls and bad lines, and delivers every good tweet once", async () => {
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
        res.writeHead(429, { "x-rate-limit-reset": String(resetAt), "content-type": "application/json" }).end(JSON.stringify({ title: "Too Many Requests" }));
      },
      // 3: service unavailable
      (res) => res.writeHead(503).end("busy"),
      // 4: tweets 5-7 among keep-alives and an in-stream error message, then a clean end
      (res) => {
        ok(res);
        res.write(tweet(5) + "\r\n\r\n" + tweet(6) + "\r\n");
        res.write(JSON.stringify({ errors: [{ title: "operational-disconnect", disconnect_type: "UpstreamOperationalDisconnect" }] }) + "\r\n");
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
    const x = await fakeX(scripts, { rules: [{ id: "1", value: "old keyword", tag: "someone" }, { id: "2", value: "flume", tag: "millrace" }] });
    const dlq = join(dir, "dead", "twitter.jsonl");
    const { src, cp } = source({
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
    });
    try {
      src.start();
      await waitFor(() => cp.events.length >= 10, "10 tweets");
      await waitFor(() => src.counter.get("EventReadFail") >= 3, "3 dead letters");
      // nothing more arrives
      await new Promise((r) => setTimeout(r, 200));
      const ids = cp.events.map((e) => e.headers.id);
      assert.deepEqual(ids, Array.from({ length: 10 }, (_, i) => String(1001 + i)));
      assert.equal(cp.events[0]!.headers.timestamp, String(Date.UTC(2024, 0, 1, 0, 0, 1)));
      assert.deepEqual(JSON.parse(cp.events[0]!.body.toString()), JSON.parse(tweet(1)), "body is the v2 line with includes and matching_rules");
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
      const dead = readFileSync(dlq, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reason: string; raw: string; source: string });
      assert.equal(dead.length, 3);
      assert.match(dead[0]!.reason, /not JSON/);
      assert.equal(dead[0]!.raw, "{not json at all");
      assert.match(dead[1]!.reason, /cut off/);
      assert.equal(dead[1]!.raw, tweet(99).slice(0, 40));
      assert.match(dead[2]!.reason, /not a tweet/);
      assert.equal(dead[2]!.source, "Twitter");
    } finally {
      await src.stop();
      await x.close();
    }
  });

  it("reads the sample stream with a configured bearer token and no keywords", async () => {
    const x = await fakeX([steady([tweet(1), tweet(2)])]);
    const { src, cp } = source({ bearerToken: "APPTOKEN", apiBaseUrl: x.url, maxBatchDurationMillis: "20", ...fastBackoff });
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
    const { src, cp } = source({ bearerToken: "APPTOKEN", apiBaseUrl: x.url, maxBatchSize: "5", maxBatchDurationMillis: "20", stallTimeoutMs: "100", channelFullBackoffMs: "10", ...fastBackoff });
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
      assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => String(1001 + i)));
      assert.equal(src.stats.connects, 1);
    } finally {
      await src.stop();
      await x.close();
    }
  });

  it("emits one event per batch through the Avro encoder when format = avro", async () => {
    const x = await fakeX([steady([tweet(1), tweet(2), tweet(3), tweet(4)])]);
    twitterAvro.encodeBatch = (tweets) => Buffer.from(JSON.stringify((tweets as { data: { id: string } }[]).map((t) => t.data.id)));
    try {
      const { src, cp } = source({ bearerToken: "APPTOKEN", apiBaseUrl: x.url, maxBatchSize: "2", maxBatchDurationMillis: "1000", format: "avro", ...fastBackoff });
      try {
        src.start();
        await waitFor(() => cp.events.length === 2, "2 containers");
        assert.deepEqual(cp.bodies(), ['["1001","1002"]', '["1003","1004"]']);
        assert.equal(cp.events[0]!.headers.count, "2");
      } finally {
        await src.stop();
      }
    } finally {
      delete twitterAvro.encodeBatch;
      await x.close();
    }
  });

  it("refuses bad configuration naming the key", () => {
    assert.throws(() => source({ keywords: "a" }), /TwitterAgent\.sources\.Twitter\.consumerKey is required/);
    assert.throws(() => source({ bearerToken: "t", format: "avro" }), (e: Error & { code?: string }) => e.code === "MR_CONFIG_INVALID" && /format = avro is not available yet/.test(e.message));
    assert.throws(() => source({ bearerToken: "t", format: "xml" }), /must be json or avro/);
    assert.throws(() => source({ bearerToken: "t", maxBatchSize: "0" }), /maxBatchSize must be > 0/);
  });
});
