import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { Context, event } from "../../../src/agent/api.js";
import { createAvroSource } from "../../../src/agent/sources/avro.js";
import { createAvroSink } from "../../../src/agent/sinks/avro.js";
import { PackDecoder, encodePack, type DataPack } from "../../../src/agent/avro-rpc/framing.js";
import {
  PROTOCOL_HASH,
  PROTOCOL_TEXT,
  Reader,
  booleanType,
  handshakeRequestType,
  handshakeResponseType,
  metaType,
  service,
  statusType,
  stringType,
  systemErrorType,
  type HandshakeResponse,
} from "../../../src/agent/avro-rpc/protocol.js";
import { freePort } from "../../helpers/net.js";
import { CollectingProcessor, TestChannel, env } from "../io-helpers.js";

async function startSource() {
  const src = createAvroSource("r1", Context.of({ bind: "127.0.0.1", port: "0" }), env());
  const cp = new CollectingProcessor();
  src.setChannelProcessor(cp);
  await src.start();
  return { src, cp };
}

/** A raw connection that sends packs and reads answers, as a Java Requestor would. */
async function rawConn(port: number) {
  const s: Socket = await new Promise((resolve, reject) => {
    const c = connect(port, "127.0.0.1", () => resolve(c));
    c.on("error", reject);
  });
  const dec = new PackDecoder();
  const inbox: DataPack[] = [];
  s.on("data", (d) => inbox.push(...dec.push(d)));
  return {
    async call(serial: number, buffers: Buffer[]): Promise<DataPack> {
      s.write(encodePack(serial, buffers));
      const deadline = Date.now() + 20_000;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error("no answer");
        await new Promise((r) => setTimeout(r, 5));
      }
      return inbox.shift()!;
    },
    close: () => s.destroy(),
  };
}

const appendBatchBody = (bodies: string[]) => [
  metaType.toBuffer({}),
  stringType.toBuffer("appendBatch"),
  service
    .message("appendBatch")!
    .requestType.toBuffer({ events: bodies.map((b) => ({ headers: { n: b }, body: Buffer.from(b) })) }),
];

test(
  "avro source handshake as a Java client meets it: NONE for an unknown hash, then CLIENT with " +
    "our protocol, then plain calls",
  async () => {
    const { src, cp } = await startSource();
    const c = await rawConn(src.boundPort);
    try {
      const javaHash = Buffer.alloc(16, 7); // a hash the server has never seen
      // 1. unknown client hash and no protocol text: NONE, the server's protocol and hash, nothing
      // else, nothing delivered
      const r1 = await c.call(1, [
        handshakeRequestType.toBuffer({ clientHash: javaHash, clientProtocol: null, serverHash: javaHash, meta: {} }),
        ...appendBatchBody(["a"]),
      ]);
      assert.equal(r1.serial, 1);
      const rd1 = new Reader(Buffer.concat(r1.buffers));
      const hs1 = rd1.read<HandshakeResponse>(handshakeResponseType);
      assert.equal(hs1.match, "NONE");
      assert.equal(hs1.serverProtocol, PROTOCOL_TEXT);
      assert.deepEqual(hs1.serverHash, PROTOCOL_HASH);
      assert.ok(rd1.done, "a NONE answer carries the handshake only");
      assert.equal(cp.events.length, 0);
      // 2. the client repeats with its protocol text: CLIENT (its serverHash guess was wrong), then meta, no error, OK
      const r2 = await c.call(2, [
        handshakeRequestType.toBuffer({
          clientHash: javaHash,
          clientProtocol: PROTOCOL_TEXT,
          serverHash: javaHash,
          meta: {},
        }),
        ...appendBatchBody(["a", "b"]),
      ]);
      assert.equal(r2.serial, 2);
      const rd2 = new Reader(Buffer.concat(r2.buffers));
      assert.equal(rd2.read<HandshakeResponse>(handshakeResponseType).match, "CLIENT");
      assert.deepEqual(rd2.read(metaType), {});
      assert.equal(rd2.read(booleanType), false);
      assert.equal(rd2.read(statusType), "OK");
      assert.ok(rd2.done);
      // 3. the connection is established: no handshake on later calls
      const r3 = await c.call(3, appendBatchBody(["c"]));
      const rd3 = new Reader(Buffer.concat(r3.buffers));
      rd3.read(metaType);
      assert.equal(rd3.read(booleanType), false);
      assert.equal(rd3.read(statusType), "OK");
      // 4. an unknown message is a system error: flag true, union {string}
      const r4 = await c.call(4, [metaType.toBuffer({}), stringType.toBuffer("nope")]);
      const rd4 = new Reader(Buffer.concat(r4.buffers));
      rd4.read(metaType);
      assert.equal(rd4.read(booleanType), true);
      assert.match(rd4.read<string>(systemErrorType), /No such message: nope/);
      assert.ok(rd4.done);
      assert.deepEqual(
        cp.events.map((e) => [e.body.toString(), e.headers.n]),
        [
          ["a", "a"],
          ["b", "b"],
          ["c", "c"],
        ],
      );
      assert.equal(src.counter.get("AppendBatchAcceptedCount"), 2);
    } finally {
      c.close();
      await src.stop();
    }
    // a second connection knows nothing of the first: it must handshake again
    const { src: src2 } = await startSource();
    const c2 = await rawConn(src2.boundPort);
    try {
      const r = await c2.call(9, [
        handshakeRequestType.toBuffer({
          clientHash: PROTOCOL_HASH,
          clientProtocol: null,
          serverHash: PROTOCOL_HASH,
          meta: null,
        }),
        ...appendBatchBody(["z"]),
      ]);
      assert.equal(
        new Reader(Buffer.concat(r.buffers)).read<HandshakeResponse>(handshakeResponseType).match,
        "BOTH",
        "our own hash is known: BOTH at once",
      );
    } finally {
      c2.close();
      await src2.stop();
    }
  },
);

test("avro sink -> avro source: batches cross, headers kept, the sink commits only on OK", async () => {
  const { src, cp } = await startSource();
  const ch = new TestChannel();
  const sink = createAvroSink(
    "k1",
    Context.of({ hostname: "127.0.0.1", port: String(src.boundPort), "batch-size": "100" }),
    env(),
  );
  sink.setChannel(ch);
  sink.start();
  try {
    await ch.putAll(Array.from({ length: 250 }, (_, i) => event(`e${i}`, { i: String(i) })));
    assert.equal(await sink.process(), "READY");
    assert.equal(await sink.process(), "READY");
    assert.equal(await sink.process(), "READY");
    assert.equal(await sink.process(), "BACKOFF");
    assert.equal(cp.events.length, 250);
    assert.deepEqual(
      cp.events.map((e) => e.headers.i),
      Array.from({ length: 250 }, (_, i) => String(i)),
    );
    assert.equal(cp.batches.length, 3);
    // the downstream channel is full: FAILED, the sink rolls back and keeps the events
    cp.full = true;
    await ch.putAll([event("kept")]);
    await assert.rejects(sink.process(), /answered FAILED/);
    assert.equal(ch.size(), 1);
    cp.full = false;
    assert.equal(await sink.process(), "READY");
    assert.equal(cp.events.at(-1)?.body.toString(), "kept");
    assert.equal(sink.counter.get("EventDrainSuccessCount"), 251);
    assert.equal(sink.counter.get("ConnectionCreatedCount"), 1, "one connection for all batches");
  } finally {
    sink.stop();
    await src.stop();
  }
});

test("avro sink: target down, then up again; a silent server times out; nothing is lost", async () => {
  const port = await freePort();
  const ch = new TestChannel();
  const sink = createAvroSink(
    "k1",
    Context.of({ hostname: "127.0.0.1", port: String(port), "connect-timeout": "2000", "request-timeout": "300" }),
    env(),
  );
  sink.setChannel(ch);
  sink.start();
  await ch.putAll([event("one"), event("two")]);
  await assert.rejects(sink.process(), (e: Error & { code?: string }) => e.code === "MR_AGENT_SINK_DELIVERY");
  assert.equal(ch.size(), 2);
  assert.equal(sink.counter.get("ConnectionFailedCount"), 1);
  // a server that accepts and never answers
  const accepted: Socket[] = [];
  const silent = createServer((s) => {
    accepted.push(s);
    s.resume();
  });
  await new Promise<void>((r) => silent.listen(port, "127.0.0.1", () => r()));
  await assert.rejects(sink.process(), /no answer .* within 300 ms/);
  assert.equal(ch.size(), 2);
  for (const s of accepted) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
  sink.stop();
  // the real source on another port takes them
  const { src, cp } = await startSource();
  const sink2 = createAvroSink("k2", Context.of({ hostname: "127.0.0.1", port: String(src.boundPort) }), env());
  sink2.setChannel(ch);
  sink2.start();
  try {
    assert.equal(await sink2.process(), "READY");
    assert.deepEqual(
      cp.events.map((e) => e.body.toString()),
      ["one", "two"],
    );
  } finally {
    sink2.stop();
    await src.stop();
  }
});

test("avro source and sink config: deflate and ssl are refused with the key named", () => {
  assert.throws(
    () => createAvroSource("r1", Context.of({ bind: "0.0.0.0", port: "1", "compression-type": "deflate" }), env()),
    /compression-type "deflate" is not supported/,
  );
  assert.throws(
    () => createAvroSink("k1", Context.of({ hostname: "h", port: "1", ssl: "true" }), env()),
    /ssl true is not supported/,
  );
  assert.throws(() => createAvroSink("k1", Context.of({ port: "1" }), env()), /hostname is required/);
});
