import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createSocket } from "node:dgram";
import pino from "pino";
import { Context, ChannelFullError, type ChannelProcessor, type Event } from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";
import { SeqSource } from "../../../src/agent/sources/seq.js";
import { NetcatSource } from "../../../src/agent/sources/netcat.js";
import { NetcatUdpSource } from "../../../src/agent/sources/netcatudp.js";
import { HttpSource } from "../../../src/agent/sources/http.js";
import { DefaultChannelProcessor } from "../../../src/agent/runtime/channel-processor.js";
import { ReplicatingSelector } from "../../../src/agent/runtime/selectors.js";
import { sourceContract } from "../contracts/source.js";

const env = { agentName: "a1", logger: pino({ level: "silent" }) };

sourceContract("seq", () => ({
  source: SeqSource.fromContext("r1", Context.of({ totalEvents: "50", batchSize: "7" }), env),
  produce: async (n) => Array.from({ length: n }, (_, i) => String(i)),
}));

sourceContract("netcat", () => {
  const source = new NetcatSource("r1", "a1", "127.0.0.1", 0);
  return {
    source,
    produce: async (n) => {
      const bodies = Array.from({ length: n }, (_, i) => `line ${i}`);
      const sock = connect(source.port, "127.0.0.1");
      let acks = "";
      sock.on("data", (d) => (acks += d));
      sock.write(bodies.map((b, i) => b + (i % 2 ? "\r\n" : "\n")).join(""));
      const end = Date.now() + 20000;
      while ((acks.match(/OK\n/g) ?? []).length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.equal((acks.match(/OK\n/g) ?? []).length, n);
      sock.end();
      return bodies;
    },
  };
});

sourceContract("netcatudp", () => {
  const source = new NetcatUdpSource("r1", "a1", "127.0.0.1", 0);
  return {
    source,
    produce: async (n) => {
      const s = createSocket("udp4");
      const bodies = Array.from({ length: n }, (_, i) => `dgram ${i}`);
      for (const b of bodies) await new Promise<void>((r) => s.send(b + "\n", source.port, "127.0.0.1", () => r()));
      s.close();
      return bodies;
    },
  };
});

sourceContract("http (JSONHandler)", () => {
  const source = new HttpSource("r1", "a1", "127.0.0.1", 0);
  return {
    source,
    produce: async (n) => {
      const bodies = Array.from({ length: n }, (_, i) => `json ${i}`);
      for (let i = 0; i < n; i += 10) {
        const res = await fetch(`http://127.0.0.1:${source.port}/`, {
          method: "POST",
          body: JSON.stringify(bodies.slice(i, i + 10).map((body) => ({ headers: { i: String(i) }, body }))),
        });
        assert.equal(res.status, 200);
      }
      return bodies;
    },
  };
});

function setup(capacity = 100, tc = 100) {
  const ch = new MemoryChannel("c1", { capacity, transactionCapacity: tc, keepAliveSeconds: 0 });
  ch.start();
  const cp = new DefaultChannelProcessor(new ReplicatingSelector([ch]));
  return { ch, cp };
}

async function all(ch: MemoryChannel): Promise<Event[]> {
  const tx = ch.getTransaction();
  tx.begin();
  const out: Event[] = [];
  for (let n = ch.size(); n > 0; n--) out.push((await tx.take())!);
  await tx.rollback();
  tx.close();
  return out;
}

test("http: malformed bodies get 400 and change nothing; full channel gets 503; 200 after commit", async () => {
  const { ch, cp } = setup(5, 5);
  const src = new HttpSource("r1", "a1", "127.0.0.1", 0);
  src.setChannelProcessor(cp);
  await src.start();
  const url = `http://127.0.0.1:${src.port}/`;
  const post = (body: string, headers: Record<string, string> = {}) => fetch(url, { method: "POST", body, headers });
  for (const bad of [
    "not json",
    '{"headers":{},"body":"x"}',
    "[1,2]",
    '[{"headers":[],"body":"x"}]',
    '[{"headers":{"a":{}},"body":"x"}]',
    '[{"body":{}}]',
    '[{"body":"ok"},',
  ]) {
    const r = await post(bad);
    assert.equal(r.status, 400, bad);
    await r.text();
  }
  assert.equal((await post("[]", { "content-type": "application/json; charset=klingon" })).status, 400);
  assert.equal(ch.size(), 0);
  assert.equal(src.counter.get("EventReadFail"), 8);
  // body null and numeric headers are accepted the way Gson maps them
  let r = await post(
    JSON.stringify([
      { headers: { a: "1", n: 2 }, body: "hello" },
      { headers: {}, body: null },
    ]),
  );
  assert.equal(r.status, 200);
  const events = await all(ch);
  assert.deepEqual(
    events.map((e) => [e.headers, e.body.toString()]),
    [
      [{ a: "1", n: "2" }, "hello"],
      [{}, ""],
    ],
  );
  r = await post(JSON.stringify([1, 2, 3].map((i) => ({ body: String(i) }))));
  assert.equal(r.status, 200);
  r = await post(JSON.stringify([1, 2].map((i) => ({ body: String(i) }))));
  assert.equal(r.status, 503);
  assert.equal(ch.size(), 5);
  // more events than transactionCapacity in one request: 503, nothing half-put
  assert.equal((await post(JSON.stringify(Array.from({ length: 9 }, () => ({ body: "x" }))))).status, 503);
  assert.equal(ch.size(), 5);
  assert.equal((await fetch(url)).status, 405);
  await src.stop();
  ch.stop();
});

test("http: BlobHandler takes the whole body, query parameters become headers; maxBlobLength", async () => {
  const { ch, cp } = setup();
  const src = HttpSource.fromContext(
    "r1",
    Context.of({
      bind: "127.0.0.1",
      port: "0",
      handler: "org.apache.flume.sink.solr.morphline.BlobHandler",
      "handler.maxBlobLength": "10",
    }),
    env,
  );
  src.setChannelProcessor(cp);
  await src.start();
  const r = await fetch(`http://127.0.0.1:${src.port}/?k=v`, { method: "POST", body: Buffer.from([0, 1, 2, 255]) });
  assert.equal(r.status, 200);
  const [e] = await all(ch);
  assert.deepEqual(e.headers, { k: "v" });
  assert.deepEqual([...e.body], [0, 1, 2, 255]);
  assert.equal((await fetch(`http://127.0.0.1:${src.port}/`, { method: "POST", body: "x".repeat(11) })).status, 400);
  assert.equal(ch.size(), 1);
  await src.stop();
  ch.stop();
});

test("http: unknown handler and missing port are config errors naming the key", () => {
  assert.throws(
    () => HttpSource.fromContext("r1", Context.of({ port: "1", handler: "x.Y" }, "a.sources.r1"), env),
    /a\.sources\.r1\.handler names an unknown handler/,
  );
  assert.throws(
    () => HttpSource.fromContext("r1", Context.of({}, "a.sources.r1"), env),
    /a\.sources\.r1\.port is required/,
  );
});

test("netcat: long lines are truncated and refused; a full channel answers FAILED", async () => {
  const { ch } = setup();
  let full = false;
  const cp: ChannelProcessor = {
    processEvent: async (e) => {
      if (full) throw new ChannelFullError("c1");
      const tx = ch.getTransaction();
      tx.begin();
      await tx.put(e);
      await tx.commit();
      tx.close();
    },
    processEventBatch: async () => {},
  };
  const src = new NetcatSource("r1", "a1", "127.0.0.1", 0, 8);
  src.setChannelProcessor(cp);
  await src.start();
  const sock = connect(src.port, "127.0.0.1");
  let out = "";
  sock.on("data", (d) => (out += d));
  const waitLines = async (n: number) => {
    const end = Date.now() + 20000;
    while (out.split("\n").length - 1 < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  };
  sock.write("short\n0123456789abc\n");
  await waitLines(2);
  assert.match(out, /^OK\nFAILED: Event exceeds the maximum length \(8 chars, including newline\)\n$/);
  full = true;
  sock.write("x\n");
  await waitLines(3);
  assert.match(out.split("\n")[2], /^FAILED: channel c1 is full/);
  sock.end();
  const bodies = (await all(ch)).map((e) => e.body.toString());
  assert.deepEqual(bodies, ["short", "01234567"]);
  await src.stop();
  ch.stop();
});

test("seq: a refused batch is retried from the same number (nothing skipped or repeated)", async () => {
  const { ch, cp } = setup(10, 10);
  const src = new SeqSource("r1", "a1", 25, 10);
  src.setChannelProcessor(cp);
  src.start();
  assert.equal(await src.process(), "READY");
  assert.equal(await src.process(), "BACKOFF", "the channel is full");
  const tx = ch.getTransaction();
  tx.begin();
  for (let i = 0; i < 10; i++) await tx.take();
  await tx.commit();
  tx.close();
  assert.equal(await src.process(), "READY");
  assert.deepEqual(
    (await all(ch)).map((e) => e.body.toString()),
    ["10", "11", "12", "13", "14", "15", "16", "17", "18", "19"],
  );
  assert.equal(src.counter.get("ChannelWriteFail"), 1);
  src.stop();
  ch.stop();
});
