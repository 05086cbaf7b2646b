/**
 * Bad input against a live broker: random and truncated frames, oversized
 * length prefixes, unknown APIs and versions, corrupt and oversize batches.
 * The broker answers with the protocol's error or closes that connection,
 * keeps serving other clients, and the log stays byte-for-byte unchanged.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.js";
import { KafkaConnection, parseHostPort } from "../../src/client/connection.js";
import {
  ApiKey,
  encodeRequest,
  decodeResponse,
  decodeRequestHeader,
  decodeRequestBody,
  apiSchemas,
} from "../../src/protocol/apis.js";
import { codecFor } from "../../src/protocol/codec.js";
import { ProtocolError, Reader } from "../../src/protocol/primitives.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { encodeBatch, decodeRecordSet } from "../../src/protocol/records/records.js";
import { handlerFor } from "../../src/broker/handlers/index.js";
import { startBroker, removeDir, type TestBroker } from "../helpers/broker.js";

let tb: TestBroker;
let client: KafkaClient;

before(async () => {
  tb = await startBroker({ "auto.create.topics.enable": "false", "message.max.bytes": "2000" });
  client = await KafkaClient.connect(tb.bootstrap);
  await client.createTopic("safe", 2);
  await client.produce("safe", 0, encodeBatch({ records: [{ key: "k", value: "v" }] }), -1);
});

after(async () => {
  await client.close();
  await tb.stop();
  removeDir(tb.dir);
});

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(log|index|timeindex)$/.test(n))
        out.set(p, createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

/** Sends raw bytes; resolves with what came back and whether the broker closed the connection. */
function raw(bytes: Buffer, waitMs = 300): Promise<{ data: Buffer; closed: boolean }> {
  const { host, port } = parseHostPort(tb.bootstrap);
  return new Promise((resolve) => {
    const s: Socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let closed = false;
    s.on("data", (d) => chunks.push(d));
    s.on("close", () => {
      closed = true;
    });
    s.on("error", () => {
      closed = true;
    });
    s.on("connect", () => s.write(bytes));
    setTimeout(() => {
      const result = { data: Buffer.concat(chunks), closed };
      s.destroy();
      resolve(result);
    }, waitMs);
  });
}

async function stillServing(): Promise<void> {
  const [t] = await client.metadata(["safe"]);
  assert.equal(t.errorCode, 0);
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

test(
  "oversized length prefix, negative size, unknown API key and unsupported versions close the " + "connection",
  async () => {
    const before = snapshot(tb.dir);
    const huge = Buffer.alloc(8);
    huge.writeInt32BE(200 * 1024 * 1024);
    assert.equal((await raw(huge)).closed, true);
    const neg = Buffer.alloc(4);
    neg.writeInt32BE(-5);
    assert.equal((await raw(neg)).closed, true);
    const unknownKey = Buffer.alloc(12);
    unknownKey.writeInt16BE(999, 0);
    assert.equal((await raw(frame(unknownKey))).closed, true);
    const oldFetch = Buffer.concat(
      encodeRequest(ApiKey.Fetch, 3, 1, "c", { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 100, topics: [] }),
    );
    assert.equal((await raw(oldFetch)).closed, true);
    const tiny = frame(Buffer.from([0, 3]));
    assert.equal((await raw(tiny)).closed, true);
    await stillServing();
    assert.deepEqual(snapshot(tb.dir), before);
  },
);

test("ApiVersions at an unknown version gets a v0 answer with UNSUPPORTED_VERSION and the API table", async () => {
  const req = Buffer.alloc(10);
  req.writeInt16BE(ApiKey.ApiVersions, 0);
  req.writeInt16BE(77, 2);
  req.writeInt32BE(42, 4);
  req.writeInt16BE(-1, 8);
  const { data, closed } = await raw(frame(req));
  assert.equal(closed, false);
  const size = data.readInt32BE(0);
  const res = decodeResponse(ApiKey.ApiVersions, 0, data.subarray(4, 4 + size));
  assert.equal(res.correlationId, 42);
  assert.equal(res.body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.ok(res.body.apiKeys.length >= 8);
});

test(
  "a batch with a wrong CRC gets CORRUPT_MESSAGE and one over message.max.bytes gets MESSAGE_TOO_LARGE; the " +
    "log is unchanged",
  async () => {
    const before = snapshot(tb.dir);
    const conn = await KafkaConnection.open(tb.bootstrap);
    const batch = encodeBatch({ records: [{ value: "payload" }] });
    batch[batch.length - 1] ^= 0xff;
    const produce = (records: Buffer) =>
      conn.request(ApiKey.Produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: "safe", partitionData: [{ index: 0, records }] }],
      });
    let res = await produce(batch);
    assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.CORRUPT_MESSAGE);
    res = await produce(encodeBatch({ records: [{ value: Buffer.alloc(5000, 1) }] }));
    assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    res = await produce(batch.subarray(0, 30));
    assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.CORRUPT_MESSAGE);
    conn.close();
    await stillServing();
    assert.deepEqual(snapshot(tb.dir), before);
  },
);

/** Valid requests for every advertised API and version, to mutate. */
function seeds(): { key: number; version: number; frame: Buffer }[] {
  const out: { key: number; version: number; frame: Buffer }[] = [];
  for (const key of [
    ApiKey.Produce,
    ApiKey.Fetch,
    ApiKey.ListOffsets,
    ApiKey.Metadata,
    ApiKey.ApiVersions,
    ApiKey.CreateTopics,
    ApiKey.DeleteTopics,
    ApiKey.DescribeConfigs,
  ]) {
    const h = handlerFor(key)!;
    for (let v = h.minVersion; v <= h.maxVersion; v++) {
      const body = codecFor(apiSchemas(key)!.request, v).defaults();
      if (key === ApiKey.Produce)
        body.topicData = [
          { name: "safe", partitionData: [{ index: 1, records: encodeBatch({ records: [{ value: "fuzz" }] }) }] },
        ];
      if (key === ApiKey.Metadata) body.topics = [{ name: "safe", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }];
      out.push({ key, version: v, frame: Buffer.concat(encodeRequest(key, v, 1, "fuzz", body)).subarray(4) });
    }
  }
  return out;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(buf: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(buf);
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) return b.subarray(0, Math.floor(rnd() * b.length));
  const flips = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < flips; i++) {
    const pos = 4 + Math.floor(rnd() * Math.max(1, b.length - 4)); // keep key/version mostly intact
    if (pos < b.length) b[pos] = kind === 1 ? b[pos] ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
  }
  if (kind === 3) return Buffer.concat([b, Buffer.from([0xff, 0xff, 0xff, 0x7f])]);
  return b;
}

test("fuzz: mutated requests make the decoders throw ProtocolError or decode, never anything else", () => {
  const rnd = mulberry32(1234);
  const all = seeds();
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 20_000; i++) {
    const s = all[i % all.length];
    const m = mutate(s.frame, rnd);
    try {
      const r = new Reader(m);
      const h = decodeRequestHeader(r);
      decodeRequestBody(h.requestApiKey, h.requestApiVersion, r);
      decoded++;
    } catch (e) {
      if (!(e instanceof ProtocolError))
        throw new Error(`non-protocol error on ${s.key} v${s.version}: ${(e as Error).stack}`);
      rejected++;
    }
  }
  assert.ok(rejected > 1000 && decoded > 100, `decoded ${decoded}, rejected ${rejected}`);
});

test("fuzz: the live broker survives mutated and random frames and its log keeps only valid batches", async () => {
  const rnd = mulberry32(99);
  const all = seeds();
  const before = snapshot(tb.dir);
  const { host, port } = parseHostPort(tb.bootstrap);
  for (let round = 0; round < 40; round++) {
    const frames: Buffer[] = [];
    for (let i = 0; i < 25; i++) {
      const s = all[Math.floor(rnd() * all.length)];
      const m = s.key === ApiKey.Produce ? mutateOutsideRecords(s.frame, rnd) : mutate(s.frame, rnd);
      frames.push(frame(m));
    }
    if (round % 5 === 0) {
      const junk = Buffer.alloc(64);
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
      frames.push(junk);
    }
    await new Promise<void>((resolve) => {
      const s = connect({ host, port }, () => s.end(Buffer.concat(frames)));
      s.on("data", () => {});
      s.on("close", () => resolve());
      s.on("error", () => resolve());
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 500);
    });
  }
  await stillServing();
  // Produce frames were mutated only outside their records, so whatever reached the log must be
  // whole, CRC-valid batches of the seed records, at dense offsets.
  const after = snapshot(tb.dir);
  for (const [file, hash] of before) if (!/safe-[01]\//.test(file)) assert.equal(after.get(file), hash, file);
  for (const p of [0, 1]) {
    const end = await client.listOffset("safe", p, -1n);
    let next = 0n;
    while (next < end) {
      const f = await client.fetch("safe", p, next);
      for (const b of decodeRecordSet(f.records!)) {
        assert.equal(b.header.baseOffset, next);
        for (const r of b.records) assert.ok(["v", "fuzz"].includes(r.value!.toString()));
        next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      }
    }
  }
});

function mutateOutsideRecords(buf: Buffer, rnd: () => number): Buffer {
  // Produce seeds end with one small batch; mutate only the bytes before it.
  const b = Buffer.from(buf);
  const batchLen = encodeBatch({ records: [{ value: "fuzz" }] }).length;
  const limit = b.length - batchLen - 4;
  const pos = 8 + Math.floor(rnd() * Math.max(1, limit - 8));
  if (pos < limit) b[pos] = Math.floor(rnd() * 256);
  return b;
}

test("a half-sent frame followed by a disconnect leaves nothing behind", async () => {
  const before = snapshot(tb.dir);
  const full = Buffer.concat(
    encodeRequest(ApiKey.Produce, 7, 5, "c", {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        { name: "safe", partitionData: [{ index: 0, records: encodeBatch({ records: [{ value: "half" }] }) }] },
      ],
    }),
  );
  await raw(full.subarray(0, full.length - 10), 100);
  await stillServing();
  assert.deepEqual(snapshot(tb.dir), before);
});
