import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createMastodonSource } from "../../../src/agent/sources/mastodon.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });
const env = { agentName: "a1", logger };

const status = (id: string, text: string) =>
  JSON.stringify({
    id,
    created_at: "2024-05-01T12:00:0" + id.slice(-1) + ".000Z",
    content: `<p>${text} <a href="https://m.example/tags/flume">#<span>flume</span></a></p>`,
    account: { acct: "alice" },
    tags: [{ name: "flume" }],
  });

type Script = (res: http.ServerResponse) => void;

async function fakeMastodon(scripts: Script[]) {
  const requests: { url: string; auth?: string; accept?: string }[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", auth: req.headers.authorization, accept: req.headers.accept });
    if (req.headers.authorization !== "Bearer TOKEN") {
      res
        .writeHead(401, { "content-type": "application/json" })
        .end('{"error":"This method requires an authenticated user"}');
      return;
    }
    open.add(res);
    res.on("close", () => open.delete(res));
    scripts[Math.min(requests.length - 1, scripts.length - 1)]!(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    async close() {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const sse = (res: http.ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" });

describe("mastodon source against a local streaming API", () => {
  it("delivers update and delete events, skips other events, dead-letters bad statuses and reconnects", async () => {
    const m = await fakeMastodon([
      (res) => {
        sse(res);
        res.write(":)\n\n");
        res.write(`event: update\ndata: ${status("1", "hello")}\n\n`);
        res.write("event: delete\ndata: 123\n\n");
        res.write("event: update\ndata: {bad\n\n");
        res.write('event: notification\ndata: {"id":"n1"}\n\n');
        res.write(`event: update\ndata: {"id"`, () => setTimeout(() => res.socket?.destroy(), 20));
      },
      (res) => res.writeHead(503).end(),
      (res) => {
        sse(res);
        const s = status("2", "second");
        // one status split over several data lines (joined with LF: still the same JSON)
        const cut = s.indexOf(',"content"');
        res.write(`event: update\r\ndata: ${s.slice(0, cut + 1)}\r\ndata: ${s.slice(cut + 1)}\r\n\r\n`);
        res.write(`event: status.update\ndata: ${status("1", "hello, edited")}\n\n`);
        const t = setInterval(() => res.write(":thump\n\n"), 30);
        res.on("close", () => clearInterval(t));
      },
    ]);
    const src = createMastodonSource(
      "toots",
      Context.of(
        {
          baseUrl: m.url + "/",
          accessToken: "TOKEN",
          stream: "hashtag",
          tag: "#flume",
          batchSize: "2",
          batchDurationMillis: "20",
          "backoff.networkStepMs": "20",
          "backoff.httpInitialMs": "20",
        },
        "a1.sources.toots",
      ),
      env,
    );
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    try {
      src.start();
      await waitFor(() => cp.events.length === 4, "4 events");
      await waitFor(() => src.stats.comments >= 2, "heartbeats");
      assert.deepEqual(
        cp.events.map((e) => `${e.headers.event}:${e.headers.id}`),
        ["update:1", "delete:123", "update:2", "status.update:1"],
      );
      assert.equal(cp.events[0]!.headers.timestamp, String(Date.parse("2024-05-01T12:00:01.000Z")));
      assert.deepEqual(
        JSON.parse(cp.events[2]!.body.toString()),
        JSON.parse(status("2", "second").replace(',"content"', ',\n"content"')),
      );
      assert.equal(cp.events[1]!.body.toString(), "123");
      assert.equal(src.counter.get("EventReadFail"), 1);
      assert.equal(src.ignored.get("notification"), 1);
      assert.equal(m.requests.length, 3);
      for (const r of m.requests) {
        assert.equal(r.url, "/api/v1/streaming/hashtag?tag=flume");
        assert.equal(r.accept, "text/event-stream");
      }
    } finally {
      await src.stop();
      await m.close();
    }
  });

  it("validates its keys", () => {
    const make = (p: Record<string, string>) => createMastodonSource("m", Context.of(p, "a1.sources.m"), env);
    assert.throws(() => make({}), /a1\.sources\.m\.baseUrl is required/);
    assert.throws(
      () => make({ baseUrl: "https://m.example", stream: "hashtag" }),
      /tag is required for stream = hashtag/,
    );
    assert.throws(() => make({ baseUrl: "https://m.example", stream: "home" }), /must be one of public/);
  });
});
