import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createWikimediaSource } from "../../../src/agent/sources/wikimedia.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";
import { removeDir, tempDir } from "../../helpers/broker.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "a1", logger };

const idOf = (offset: number) => JSON.stringify([{ topic: "eqiad.mediawiki.recentchange", partition: 0, offset }]);
const change = (n: number) =>
  JSON.stringify({
    $schema: "/mediawiki/recentchange/1.0.0",
    meta: { stream: "mediawiki.recentchange", id: `uuid-${n}`, dt: new Date(Date.UTC(2024, 0, 1, 0, n)).toISOString() },
    title: `Page ${n}`,
    type: "edit",
    wiki: "enwiki",
  });

/**
 * A local EventStreams: a log of events (offset = index); a request with
 * Last-Event-ID continues after that offset. `plan[n]` is how many events the
 * n-th connection gets before it is cut in the middle of the next one.
 */
async function fakeEventStreams(plan: (number | undefined)[]) {
  const log: string[] = [];
  const lastEventIds: (string | undefined)[] = [];
  const live = new Set<(i: number) => void>();
  const server = http.createServer((req, res) => {
    const n = lastEventIds.length;
    const h = req.headers["last-event-id"] as string | undefined;
    lastEventIds.push(h);
    let next = h ? (JSON.parse(h) as { offset: number }[])[0]!.offset + 1 : 0;
    let budget = plan[n] ?? Infinity;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.write(":ok\n\nretry: 10\n\n");
    const send = (i: number) => {
      if (i < next) return;
      if (budget-- <= 0) {
        live.delete(send);
        res.write(`event: message\nid: ${idOf(i)}\ndata: ${log[i]!.slice(0, 30)}`, () =>
          setTimeout(() => res.socket?.destroy(), 10),
        );
        return;
      }
      res.write(`event: message\nid: ${idOf(i)}\ndata: ${log[i]}\n\n`);
      next = i + 1;
    };
    for (let i = next; i < log.length && live.size >= 0 && budget >= 0; i++) send(i);
    if (budget >= 0) live.add(send);
    res.on("close", () => live.delete(send));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v2/stream/recentchange`,
    lastEventIds,
    append(line: string) {
      log.push(line);
      for (const s of live) s(log.length - 1);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("wikimedia source against a local EventStreams", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it(
    "resumes with Last-Event-ID after disconnects and restarts, dead-letters bad events, delivers " +
      "each good one once",
    async () => {
      const dir = tempDir();
      dirs.push(dir);
      const es = await fakeEventStreams([6, 4]);
      for (let i = 0; i < 20; i++) es.append(i === 9 ? "{this is not json" : change(i));
      const positionFile = join(dir, "wiki.pos");
      const props = {
        url: es.url,
        positionFile,
        batchSize: "3",
        batchDurationMillis: "20",
        "backoff.networkStepMs": "20",
        "deadLetter.file": join(dir, "dead.jsonl"),
      };
      const got: string[] = [];
      let src = createWikimediaSource("wiki", Context.of(props, "a1.sources.wiki"), env);
      let cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      try {
        src.start();
        await waitFor(() => {
          got.push(...cp.drain().map((e) => e.headers.id!));
          return got.length >= 19;
        }, "19 good events");
        await waitFor(() => readPosition() === idOf(19), "position at the last event");
      } finally {
        await src.stop();
      }
      function readPosition() {
        try {
          return readFileSync(positionFile, "utf8").trim();
        } catch {
          return "";
        }
      }
      // first connection had no id; the next ones continued after the last event seen
      assert.equal(es.lastEventIds[0], undefined);
      assert.equal(es.lastEventIds[1], idOf(5));
      assert.equal(es.lastEventIds[2], idOf(9));
      assert.equal(src.counter.get("EventReadFail"), 1);
      assert.match(readFileSync(join(dir, "dead.jsonl"), "utf8"), /this is not json/);

      for (let i = 20; i < 25; i++) es.append(change(i));
      src = createWikimediaSource("wiki", Context.of(props, "a1.sources.wiki"), env);
      cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      try {
        src.start();
        await waitFor(() => {
          got.push(...cp.drain().map((e) => e.headers.id!));
          return got.length >= 24;
        }, "the events published while stopped");
      } finally {
        await src.stop();
        await es.close();
      }
      assert.equal(es.lastEventIds[3], idOf(19), "restart resumes from the committed id");
      const want = Array.from({ length: 25 }, (_, i) => i)
        .filter((i) => i !== 9)
        .map((i) => `uuid-${i}`);
      assert.deepEqual(got, want);
      assert.equal(readPosition(), idOf(24));
    },
  );

  it("stops reading while the channel is full and loses nothing", async () => {
    const es = await fakeEventStreams([]);
    for (let i = 0; i < 200; i++) es.append(change(i));
    const src = createWikimediaSource(
      "wiki",
      Context.of({
        url: es.url,
        batchSize: "10",
        batchDurationMillis: "20",
        channelFullBackoffMs: "5",
        stallTimeoutMs: "100",
      }),
      env,
    );
    const cp = new CollectingProcessor();
    cp.capacity = 20;
    src.setChannelProcessor(cp);
    const got: string[] = [];
    try {
      src.start();
      await waitFor(() => cp.rejections >= 5, "a full channel");
      assert.equal(src.counter.get("EventReceivedCount"), 30, "two batches in, one waiting, nothing more read");
      while (got.length < 200) {
        got.push(...cp.drain().map((e) => e.headers.id!));
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.deepEqual(
        got,
        Array.from({ length: 200 }, (_, i) => `uuid-${i}`),
      );
      assert.equal(src.stats.connects, 1, "a full channel is not a stalled stream");
    } finally {
      await src.stop();
      await es.close();
    }
  });
});
