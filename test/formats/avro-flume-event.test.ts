import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeAvroFlumeEvent, encodeAvroFlumeEvent } from "../../src/formats/avro-flume-event.js";

test("AvroFlumeEvent: bytes follow the Avro spec (map block, zigzag lengths, bytes)", () => {
  const buf = encodeAvroFlumeEvent({ headers: { k: "v" }, body: Buffer.from("hi") });
  // map: 1 entry (zigzag 2), "k" (len 2), "v" (len 2), end 0; body: len 4, "hi"
  assert.deepEqual([...buf], [0x02, 0x02, 0x6b, 0x02, 0x76, 0x00, 0x04, 0x68, 0x69]);
  assert.deepEqual([...encodeAvroFlumeEvent({ headers: {}, body: Buffer.alloc(0) })], [0x00, 0x00]);
  assert.deepEqual(decodeAvroFlumeEvent(buf), { headers: { k: "v" }, body: Buffer.from("hi") });
});

test("AvroFlumeEvent: malformed bytes raise MR_FORMAT_INVALID", () => {
  assert.throws(() => decodeAvroFlumeEvent(Buffer.from([0x02, 0x40])), { code: "MR_FORMAT_INVALID" });
  assert.throws(() => decodeAvroFlumeEvent(Buffer.from([0x00, 0x00, 0x01])), { code: "MR_FORMAT_INVALID" });
});
