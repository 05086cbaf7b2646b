import { test } from "node:test";
import assert from "node:assert/strict";
import * as M from "../../src/protocol/messages/index.js";
import { codecFor } from "../../src/protocol/codec.js";
import { ProtocolError, Reader, Writer } from "../../src/protocol/primitives.js";
import {
  encodeRequest,
  decodeRequestHeader,
  decodeRequestBody,
  encodeResponse,
  decodeResponse,
  ApiKey,
} from "../../src/protocol/apis.js";
import type { MessageSpec } from "../../src/protocol/schema.js";

function roundTrip(spec: MessageSpec, version: number, value: Record<string, unknown>): Buffer {
  const c = codecFor(spec, version);
  const w = new Writer();
  c.encode(w, value);
  const bytes = w.toBuffer();
  const r = new Reader(bytes);
  const back = c.decode(r);
  assert.equal(r.remaining(), 0, `${spec.name} v${version} left bytes unread`);
  const w2 = new Writer();
  c.encode(w2, back);
  assert.deepEqual(w2.toBuffer(), bytes, `${spec.name} v${version} does not re-encode to the same bytes`);
  return bytes;
}

test("every schema round-trips its defaults at every version", () => {
  let n = 0;
  for (const spec of Object.values(M) as MessageSpec[]) {
    if (!spec.valid) continue;
    for (let v = spec.valid[0]; v <= spec.valid[1]; v++) {
      roundTrip(spec, v, codecFor(spec, v).defaults());
      n++;
    }
  }
  assert.ok(n > 300, `only ${n} schema versions`);
});

test("Metadata v0 request matches the protocol's byte layout", () => {
  const frame = Buffer.concat(encodeRequest(ApiKey.Metadata, 0, 7, "c", { topics: [{ name: "ab" }] }));
  const expected = Buffer.from([
    0,
    0,
    0,
    19, // size
    0,
    3,
    0,
    0,
    0,
    0,
    0,
    7, // key 3, version 0, correlation 7
    0,
    1,
    0x63, // client id "c"
    0,
    0,
    0,
    1,
    0,
    2,
    0x61,
    0x62, // topics: [ "ab" ]
  ]);
  assert.deepEqual(frame, expected);
});

test("flexible versions use compact strings, compact arrays and tagged fields", () => {
  const frame = Buffer.concat(
    encodeRequest(ApiKey.Metadata, 12, 1, "c", {
      topics: [{ name: "ab", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    }),
  );
  const r = new Reader(frame, 4);
  const h = decodeRequestHeader(r);
  assert.equal(h.requestApiVersion, 12);
  assert.equal(h.clientId, "c"); // header v2 keeps a classic (non-compact) client id
  const body = decodeRequestBody(ApiKey.Metadata, 12, r);
  assert.equal(body.topics[0].name, "ab");
  assert.equal(r.remaining(), 0);
  // after the header's empty tagged fields: compact array of 1 element = varint 2
  const headerEnd = 4 + 2 + 2 + 4 + 2 + 1 + 1;
  assert.equal(frame[headerEnd], 2);
});

test("tagged fields are written only when they differ from their default and unknown tags are skipped", () => {
  const spec = M.FetchResponse;
  const part = {
    partitionIndex: 0,
    errorCode: 0,
    highWatermark: 5n,
    lastStableOffset: 5n,
    logStartOffset: 0n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: null,
  };
  const plain = roundTrip(spec, 12, {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{ topic: "t", partitions: [part] }],
  });
  const withTag = roundTrip(spec, 12, {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{ topic: "t", partitions: [{ ...part, currentLeader: { leaderId: 1, leaderEpoch: 3 } }] }],
  });
  assert.ok(withTag.length > plain.length);
  const back = codecFor(spec, 12).decode(new Reader(withTag));
  assert.deepEqual(back.responses[0].partitions[0].currentLeader, { leaderId: 1, leaderEpoch: 3 });
});

test("ApiVersions responses always use response header v0", () => {
  const chunks = encodeResponse(ApiKey.ApiVersions, 3, 9, {
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
    throttleTimeMs: 0,
  });
  const frame = Buffer.concat(chunks).subarray(4);
  const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 3, frame);
  assert.equal(correlationId, 9);
  assert.equal(body.apiKeys[0].maxVersion, 3);
  assert.equal(frame[4], 0); // error code starts right after the correlation id: no header tagged fields
});

test("decoding rejects truncated input and absurd array lengths without allocating", () => {
  const frame = Buffer.concat(encodeRequest(ApiKey.Metadata, 1, 1, "c", { topics: [{ name: "topic" }] })).subarray(4);
  for (let cut = 0; cut < frame.length; cut++) {
    const r = new Reader(frame.subarray(0, cut));
    assert.throws(
      () => {
        decodeRequestHeader(r);
        decodeRequestBody(ApiKey.Metadata, 1, r);
      },
      (e: unknown) => e instanceof ProtocolError && e.code.startsWith("MR_PROTOCOL_"),
    );
  }
  const huge = Buffer.from([0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
  assert.throws(() => codecFor(M.MetadataRequest, 1).decode(new Reader(huge.subarray(4))), /cannot fit/);
});

test("large byte fields are referenced, not copied, by the writer", () => {
  const big = Buffer.alloc(100_000, 7);
  const w = new Writer();
  w.int32(1);
  w.nullableBytes(big, false);
  w.int16(2);
  const chunks = w.toChunks();
  assert.ok(chunks.includes(big));
  assert.equal(w.length, 4 + 4 + big.length + 2);
});
