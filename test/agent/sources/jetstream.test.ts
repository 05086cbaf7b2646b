import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { Context } from "../../../src/agent/api.js";
import { createJetstreamSource, type JetstreamSource } from "../../../src/agent/sources/jetstream.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "a1", logger };
const BASE = 1_700_000_000_000_000; // time_us
const SEC = 1_000_000;

function commit(i: number, collection: string): string {
  return JSON.stringify({
    did: `did:plc:user${i % 7}`,
    time_us: BASE + i * SEC,
    kind: "commit",
    commit: {
      rev: `r${i}`,
      operation: "create",
      collection,
      rkey: `k${i}`,
      record: { $type: collection, text: `post ${i}`, createdAt: new Date(1_700_000_000_000 + i * 1000).toISOString() },
    },
  });
}

interface Conn {
  query: URLSearchParams;
  ws: WebSocket;
}

/**
 * A local Jetstream: a growing log of events one second apart; a subscriber gets
 * every event with time_us >= cursor (all of them without a cursor) in its
 * wantedCollections, then live ones. `plan[n]` limits how many the n-th
 * connection gets before the server drops it (undefined: no limit).
 */
async function fakeJetstream(plan: (number | undefined)[]) {
  const log: string[] = [];
  const conns: Conn[] = [];
  const live = new Set<{ send: (i: number) => void }>();
  const server = http.createServer();
  const wss = new WebSocketServer({ server, path: "/subscribe" });
  wss.on("connection", (ws, req) => {
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    const n = conns.length;
    conns.push({ query, ws });
    const wanted = query.getAll("wantedCollections");
    const cursor = query.has("cursor") ? Number(query.get("cursor")) : -Infinity;
    let budget = plan[n] ?? Infinity;
    const sub = {
      send(i: number) {
        const e = JSON.parse(log[i]!) as { time_us: number; commit: { collection: string } };
        if (e.time_us < cursor || (wanted.length > 0 && !wanted.includes(e.commit.collection))) return;
        if (budget-- <= 0) {
          live.delete(sub);
          ws.terminate();
          return;
        }
        ws.send(log[i]!);
      },
    };
    for (let i = 0; i < log.length && ws.readyState === ws.OPEN; i++) sub.send(i);
    if (ws.readyState === ws.OPEN) live.add(sub);
    ws.on("close", () => live.delete(sub));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/subscribe`,
    conns,
    append(line: string) {
      log.push(line);
      for (const s of live) s.send(log.length - 1);
    },
    /** a raw frame to every live subscriber (for bad input) */
    raw(text: string) {
      for (const c of conns) if (c.ws.readyState === c.ws.OPEN) c.ws.send(text);
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const fast = {
  "backoff.networkStepMs": "20",
  "backoff.networkMaxMs": "100",
  "backoff.httpInitialMs": "20",
  "backoff.httpMaxMs": "100",
};

function source(props: Record<string, string>): { src: JetstreamSource; cp: CollectingProcessor } {
  const src = createJetstreamSource("bsky", Context.of(props, "a1.sources.bsky"), env);
  const cp = new CollectingProcessor();
  src.setChannelProcessor(cp);
  return { src, cp };
}

const COLLS = ["app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow"];

describe("jetstream source against a local Jetstream", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it(
    "filters by collection, reconnects after drops, " + "resumes across restarts with no gap and no duplicate",
    async () => {
      const dir = tempDir();
      dirs.push(dir);
      const js = await fakeJetstream([7, 5, undefined, undefined]);
      for (let i = 0; i < 30; i++) js.append(commit(i, COLLS[i % 3]!));
      const positionFile = join(dir, "bsky.pos");
      const props = {
        url: js.url,
        wantedCollections: "app.bsky.feed.post, app.bsky.feed.like",
        positionFile,
        rewindSeconds: "5",
        batchSize: "4",
        batchDurationMillis: "20",
        "deadLetter.file": join(dir, "dead.jsonl"),
        ...fast,
      };
      const wantedIdx = (upTo: number) => Array.from({ length: upTo }, (_, i) => i).filter((i) => i % 3 !== 2);
      const delivered: number[] = [];
      const take = (cp: CollectingProcessor) =>
        delivered.push(...cp.drain().map((e) => (Number(e.headers.time_us) - BASE) / SEC));

      let { src, cp } = source(props);
      src.start();
      try {
        await waitFor(() => {
          take(cp);
          return delivered.length >= 20;
        }, "the first 20 events");
        // dropped twice (after 7 and 5 events) and resumed
        assert.ok(js.conns.length >= 3);
        assert.equal(js.conns[0]!.query.has("cursor"), false);
        assert.deepEqual(js.conns[0]!.query.getAll("wantedCollections"), ["app.bsky.feed.post", "app.bsky.feed.like"]);
        // the second connection asked for the last seen time_us minus the rewind
        const seenBefore2 = BASE + wantedIdx(30)[6]! * SEC;
        assert.equal(Number(js.conns[1]!.query.get("cursor")), seenBefore2 - 5 * SEC);
        // bad frames are dead-lettered, the stream goes on
        js.raw("{oops");
        js.raw(JSON.stringify({ kind: "identity" }));
        await waitFor(() => src.counter.get("EventReadFail") === 2, "2 dead letters");
        await waitFor(
          () => Number(readFileSync(positionFile, "utf8")) === BASE + 28 * SEC,
          "position of the last committed event",
        );
      } finally {
        await src.stop();
      }
      take(cp);
      assert.deepEqual(delivered, wantedIdx(30));
      assert.ok(src.stats.duplicatesDropped > 0, "the rewind re-sent events that were dropped as duplicates");

      // events published while the source is down
      for (let i = 30; i < 40; i++) js.append(commit(i, COLLS[i % 3]!));
      ({ src, cp } = source(props));
      assert.equal(src.committed, BASE + 28 * SEC);
      src.start();
      try {
        await waitFor(() => {
          take(cp);
          return delivered.length >= wantedIdx(40).length;
        }, "the events published while the source was down");
        for (let i = 40; i < 45; i++) js.append(commit(i, COLLS[i % 3]!));
        await waitFor(() => {
          take(cp);
          return delivered.length >= wantedIdx(45).length;
        }, "live events after the restart");
        const last = js.conns[js.conns.length - 1]!;
        assert.equal(Number(last.query.get("cursor")), BASE + 28 * SEC - 5 * SEC);
      } finally {
        await src.stop();
        await js.close();
      }
      assert.deepEqual(delivered, wantedIdx(45), "every wanted event exactly once, in order");
      assert.equal(readFileSync(positionFile, "utf8").trim(), String(BASE + 43 * SEC));
      const dead = readFileSync(join(dir, "dead.jsonl"), "utf8").trim().split("\n");
      assert.equal(dead.length, 2);
    },
  );

  it("pauses the socket while the channel is full and loses nothing", async () => {
    const js = await fakeJetstream([]);
    for (let i = 0; i < 300; i++) js.append(commit(i, "app.bsky.feed.post"));
    const { src, cp } = source({
      url: js.url,
      batchSize: "10",
      batchDurationMillis: "20",
      maxQueuedMessages: "20",
      channelFullBackoffMs: "10",
      ...fast,
    });
    cp.capacity = 30;
    const got: string[] = [];
    try {
      src.start();
      await waitFor(() => cp.rejections >= 5, "a full channel");
      assert.equal(cp.events.length, 30);
      assert.ok(src.stats.pauses >= 1, "the socket was paused");
      while (got.length < 300) {
        got.push(...cp.drain().map((e) => e.headers.time_us!));
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.deepEqual(
        got,
        Array.from({ length: 300 }, (_, i) => String(BASE + i * SEC)),
      );
      assert.equal(src.stats.connects, 1);
    } finally {
      await src.stop();
      await js.close();
    }
  });

  it("reconnects when the server stops answering pings", async () => {
    const js = await fakeJetstream([]);
    for (let i = 0; i < 5; i++) js.append(commit(i, "app.bsky.feed.post"));
    const { src, cp } = source({
      url: js.url,
      batchSize: "1",
      batchDurationMillis: "20",
      pingIntervalMs: "50",
      ...fast,
    });
    try {
      src.start();
      await waitFor(() => cp.events.length === 5 && js.conns.length === 1, "the first 5 events");
      // the server's socket stops reading: no pong comes back
      (js.conns[0]!.ws as unknown as { _socket: import("node:net").Socket })._socket.pause();
      await waitFor(() => js.conns.length === 2, "a reconnect after missed pongs");
      assert.equal(Number(js.conns[1]!.query.get("cursor")), BASE + 4 * SEC - 5 * SEC);
      js.append(commit(5, "app.bsky.feed.post"));
      await waitFor(() => cp.events.length === 6, "the live event on the new connection");
      assert.deepEqual(
        cp.events.map((e) => e.headers.time_us),
        Array.from({ length: 6 }, (_, i) => String(BASE + i * SEC)),
      );
    } finally {
      await src.stop();
      await js.close();
    }
  });

  it("refuses compress without a usable zstd dictionary decoder", () => {
    assert.throws(() => source({ compress: "true" }), /a1\.sources\.bsky\.compress = true needs zstdDictionary/);
    assert.throws(
      () => source({ compress: "true", zstdDictionary: "/tmp/dict" }),
      /fzstd\) cannot decode frames that use a dictionary/,
    );
    assert.throws(() => source({ url: "http://x" }), /must be a ws:\/\/ or wss:\/\/ URL/);
  });
});
