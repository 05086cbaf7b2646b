import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { LogManager } from "../../src/log/index.js";
import { EmbeddedTopics } from "../../src/topics/embedded.js";
import { encodeAvroFlumeEvent } from "../../src/formats/avro-flume-event.js";
import { counter } from "../../src/metrics/registry.js";
import { Dashboard, type DecodedMessage, type Snapshot, type TopicRow } from "../../src/ui/server.js";
import { tempDir, removeDir } from "../helpers/broker.js";

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    })
      .on("error", reject)
      .end();
  });
}

/** Reads server-sent events until `n` snapshot events arrived. */
function snapshots(url: string, n: number): Promise<Snapshot[]> {
  return new Promise((resolve, reject) => {
    const got: Snapshot[] = [];
    const req = request(url, (res) => {
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (block.includes("event: snapshot") && data) got.push(JSON.parse(data.slice(6)));
          if (got.length >= n) {
            req.destroy();
            resolve(got);
            return;
          }
        }
      });
    });
    req.on("error", (e) => (got.length >= n ? undefined : reject(e)));
    req.end();
  });
}

test("dashboard: page, metrics, snapshot, live events, message browser, port in use", async () => {
  const dir = tempDir();
  const log = await LogManager.open({ dir });
  const topics = new EmbeddedTopics({ log });
  await topics.createTopic("twitter", { partitions: 2 });
  await topics.produce("twitter", 0, [
    { value: encodeAvroFlumeEvent({ headers: { timestamp: "1" }, body: Buffer.from('{"text":"hello #world"}') }) },
    { value: "just text" },
  ]);
  counter("millrace_test_ui_total", "ui test").inc(7);
  const d = await Dashboard.start(
    {
      topics,
      title: "test pipeline",
      streaming: () => [
        {
          app: "tags",
          batchInterval: 100,
          batches: [{ time: 1000, records: 5, inputRate: 50, schedulingDelay: 1, processingTime: 3, totalDelay: 4 }],
        },
      ],
      agents: () => ({ a1: { "CHANNEL.c1": { Type: "CHANNEL", ChannelFillPercentage: "12.5", ChannelSize: "1" } } }),
      output: () => ({ title: "Trending", time: 1, lines: ["#world 1"] }),
    },
    { port: 0, intervalMs: 50 },
  );
  try {
    const page = await get(d.url + "/");
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.match(page.body, /EventSource\("\/api\/events"\)/);

    const metrics = await get(d.url + "/metrics");
    assert.match(metrics.body, /millrace_test_ui_total 7/);

    const snap: Snapshot = JSON.parse((await get(d.url + "/api/snapshot")).body);
    assert.equal(snap.title, "test pipeline");
    assert.deepEqual(
      snap.topics.map((t: TopicRow) => [t.name, t.partitions.map((p) => p.logEnd)]),
      [["twitter", [2, 0]]],
    );
    assert.equal(snap.streaming[0].batches[0].records, 5);
    assert.equal(snap.agents.a1["CHANNEL.c1"].ChannelFillPercentage, "12.5");

    const live = await snapshots(d.url + "/api/events", 3);
    assert.equal(live.length, 3);
    assert.ok(live[2].time >= live[0].time);

    const msgs = JSON.parse((await get(d.url + "/api/messages?topic=twitter&partition=0&offset=0")).body);
    assert.deepEqual(
      msgs.map((m: DecodedMessage) => [m.offset, m.format, m.value]),
      [
        ["0", "avro-flume-event", { text: "hello #world" }],
        ["1", "text", "just text"],
      ],
    );
    const latest = JSON.parse(
      (await get(d.url + "/api/messages?topic=twitter&partition=0&offset=latest&limit=1")).body,
    );
    assert.deepEqual(
      latest.map((m: DecodedMessage) => m.offset),
      ["1"],
    );
    assert.equal((await get(d.url + "/api/messages?topic=twitter&offset=abc")).status, 400);
    assert.equal((await get(d.url + "/nope")).status, 404);

    const port = Number(new URL(d.url).port);
    await assert.rejects(
      Dashboard.start({}, { port, portSetting: "--ui-port" }),
      (e: { code?: string; message: string }) => {
        assert.equal(e.code, "MR_UI_PORT_IN_USE");
        assert.match(e.message, new RegExp(`port ${port} .*--ui-port`));
        return true;
      },
    );
  } finally {
    await d.close();
    await log.close();
    removeDir(dir);
  }
});
