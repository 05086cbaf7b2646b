import { test } from "node:test";
import assert from "node:assert/strict";
import { PackDecoder, encodePack } from "../../../src/agent/avro-rpc/framing.js";
import {
  PROTOCOL_HASH,
  PROTOCOL_TEXT,
  handshakeRequestType,
  handshakeResponseType,
  md5,
  service,
  statusType,
} from "../../../src/agent/avro-rpc/protocol.js";

test("a data pack is serial, buffer count, then length-prefixed buffers, all big-endian", () => {
  const bytes = encodePack(0x01020304, [Buffer.from("ab"), Buffer.alloc(0), Buffer.from([0xff])]);
  assert.equal(bytes.toString("hex"), "01020304" + "00000003" + "00000002" + "6162" + "00000000" + "00000001" + "ff");
});

test("the decoder reassembles packs split at every byte and several packs in one chunk", () => {
  const a = encodePack(1, [Buffer.from("hello"), Buffer.from(" world")]);
  const b = encodePack(-2, [Buffer.from("x")]);
  const all = Buffer.concat([a, b]);
  const d = new PackDecoder();
  const got = [];
  for (let i = 0; i < all.length; i++) got.push(...d.push(all.subarray(i, i + 1)));
  assert.deepEqual(
    got.map((p) => [p.serial, Buffer.concat(p.buffers).toString()]),
    [
      [1, "hello world"],
      [-2, "x"],
    ],
  );
  const d2 = new PackDecoder();
  assert.equal(d2.push(all).length, 2);
});

test("the decoder refuses packs over its limits (a bad client cannot make it allocate)", () => {
  const d = new PackDecoder({ maxBuffers: 4, maxBytes: 10 });
  const many = Buffer.alloc(8);
  many.writeInt32BE(1, 0);
  many.writeInt32BE(1_000_000, 4);
  assert.throws(
    () => d.push(many),
    (e: Error & { code?: string }) => e.code === "MR_AVRO_FRAME",
  );
  const d2 = new PackDecoder({ maxBytes: 10 });
  assert.throws(() => d2.push(encodePack(1, [Buffer.alloc(11)]).subarray(0, 12)), /more than 10 bytes/);
});

test("handshake records encode as Avro's org.apache.avro.ipc schemas", () => {
  const h = Buffer.alloc(16, 0xaa);
  const s = Buffer.alloc(16, 0xbb);
  // clientHash fixed(16), clientProtocol union null (index 0), serverHash fixed(16), meta union null
  const req = handshakeRequestType.toBuffer({ clientHash: h, clientProtocol: null, serverHash: s, meta: null });
  assert.equal(req.toString("hex"), "aa".repeat(16) + "00" + "bb".repeat(16) + "00");
  // with the protocol text: union index 1 (zigzag 2), then the string's zigzag length and bytes
  const withText = handshakeRequestType.toBuffer({ clientHash: h, clientProtocol: "{}", serverHash: s, meta: {} });
  assert.equal(withText.toString("hex"), "aa".repeat(16) + "02" + "04" + "7b7d" + "bb".repeat(16) + "02" + "00");
  // match enum BOTH (0), serverProtocol null, serverHash null, meta null
  assert.equal(
    handshakeResponseType
      .toBuffer({ match: "BOTH", serverProtocol: null, serverHash: null, meta: null })
      .toString("hex"),
    "00000000",
  );
  const none = handshakeResponseType.toBuffer({ match: "NONE", serverProtocol: "p", serverHash: h, meta: null });
  assert.equal(none.toString("hex"), "04" + "02" + "02" + "70" + "02" + "aa".repeat(16) + "00");
  // Status enum: OK=0, FAILED=1, UNKNOWN=2 (zigzag)
  assert.deepEqual(
    [...statusType.toBuffer("OK"), ...statusType.toBuffer("FAILED"), ...statusType.toBuffer("UNKNOWN")],
    [0, 2, 4],
  );
});

test("AvroSourceProtocol: hash is MD5 of its text; appendBatch's parameters are an array of AvroFlumeEvent", () => {
  assert.deepEqual(PROTOCOL_HASH, md5(PROTOCOL_TEXT));
  const p = JSON.parse(PROTOCOL_TEXT);
  assert.equal(p.protocol, "AvroSourceProtocol");
  assert.equal(p.namespace, "org.apache.flume.source.avro");
  const body = service
    .message("appendBatch")!
    .requestType.toBuffer({ events: [{ headers: { a: "b" }, body: Buffer.from("x") }] });
  // array block of 1 (zigzag 2), map block of 1, "a", "b", map end, bytes "x", array end
  assert.equal(body.toString("hex"), "02" + "02" + "0261" + "0262" + "00" + "0278" + "00");
});
