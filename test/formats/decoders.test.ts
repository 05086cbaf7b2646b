import { test } from "node:test";
import assert from "node:assert/strict";
import { autoDecoder, decoderByName, decoders, isAsyncDecoder, stringDecoderOf } from "../../src/formats/decoders.js";
import { encodeAvroFlumeEvent } from "../../src/formats/avro-flume-event.js";

test("decoders: each raises MR_FORMAT_INVALID on bad input, null passes through", () => {
  assert.equal(decoders.string(Buffer.from("hé")), "hé");
  assert.equal(decoders.string(null), null);
  // invalid UTF-8: U+FFFD by default (Kafka's StringDeserializer), malformed when strict
  assert.equal(decoders.string(Buffer.from([0xc3])), "\ufffd");
  assert.throws(() => stringDecoderOf({ strictUtf8: true })(Buffer.from([0xc3])), { code: "MR_FORMAT_INVALID" });
  assert.equal(decoderByName("string", { strictUtf8: true })(Buffer.from("hé")), "hé");
  assert.throws(() => decoderByName("json", { strictUtf8: true })(Buffer.from([0x22, 0xc3, 0x22])), {
    code: "MR_FORMAT_INVALID",
  });
  assert.equal(decoders.json(Buffer.from([0x22, 0xc3, 0x22])), "\ufffd");
  assert.deepEqual(decoders.json(Buffer.from('{"a":[1]}')), { a: [1] });
  assert.throws(() => decoders.json(Buffer.from("{")), { code: "MR_FORMAT_INVALID" });
  const ev = { headers: { h: "v" }, body: Buffer.from("b") };
  assert.deepEqual(decoders.avroFlumeEvent(encodeAvroFlumeEvent(ev)), ev);
  assert.throws(() => decoders.avroFlumeEvent(Buffer.from([0x05])), { code: "MR_FORMAT_INVALID" });
  const dec = decoders.avro<{ n: number }>({ type: "record", name: "R", fields: [{ name: "n", type: "int" }] });
  assert.equal(dec(Buffer.from([0x04]))!.n, 2);
  assert.throws(() => dec(Buffer.from([0x04, 0x00])), { code: "MR_FORMAT_INVALID" });
  assert.throws(() => dec(Buffer.alloc(0)), { code: "MR_FORMAT_INVALID" });
  assert.equal(decoderByName("json"), decoders.json);
  assert.throws(() => decoderByName("xml"), { code: "MR_FORMAT_INVALID" });
});

test("decoders: async ones are told apart (the direct stream awaits only those)", () => {
  assert.equal(isAsyncDecoder(decoders.json), false);
  assert.equal(isAsyncDecoder(decoders.avro({ type: "int" })), false);
  assert.equal(isAsyncDecoder(decoders.avroRegistry({} as never)), true);
});

test(
  "autoDecoder (the dashboard's message browser): JSON, AvroFlumeEvent (with a JSON body), text, binary, " + "null",
  () => {
    assert.deepEqual(autoDecoder(Buffer.from('{"a":1}')), { format: "json", value: { a: 1 } });
    const afe = autoDecoder(encodeAvroFlumeEvent({ headers: { h: "1" }, body: Buffer.from('{"text":"hi #x"}') }));
    assert.deepEqual(afe, { format: "avro-flume-event", headers: { h: "1" }, value: { text: "hi #x" } });
    assert.deepEqual(autoDecoder(Buffer.from("plain words")), { format: "text", value: "plain words" });
    assert.equal(autoDecoder(Buffer.from([0xff, 0xfe, 0x00, 0x81])).format, "binary");
    assert.deepEqual(autoDecoder(null), { format: "null", value: null });
  },
);
