import { test } from "node:test";
import assert from "node:assert/strict";
import avro from "avsc";
import { SchemaRegistryClient, frame, unframe } from "../../src/formats/schema-registry.js";
import { avroRegistryDecoder } from "../../src/formats/decoders.js";
import { startRegistry } from "../helpers/schema-registry.js";

const TWEET = {
  type: "record",
  name: "Tweet",
  namespace: "millrace.test",
  fields: [
    { name: "id", type: "string" },
    { name: "text", type: "string" },
    { name: "likes", type: "int" },
  ],
} as avro.Schema;

test("frame/unframe: magic 0, big-endian id, payload", () => {
  const f = frame(258, Buffer.from([9, 8]));
  assert.deepEqual([...f], [0, 0, 0, 1, 2, 9, 8]);
  assert.deepEqual(unframe(f), { schemaId: 258, payload: Buffer.from([9, 8]) });
  assert.throws(() => unframe(Buffer.from([0, 0, 0])), { code: "MR_FORMAT_INVALID" });
  assert.throws(() => unframe(Buffer.from([1, 0, 0, 0, 1, 5])), { code: "MR_FORMAT_INVALID" });
  assert.throws(() => frame(-1, Buffer.alloc(0)), { code: "MR_FORMAT_INVALID" });
});

test("registry client: register, encode, decode with caching", async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.close());
  const client = new SchemaRegistryClient(reg.url + "/");
  const id = await client.register("tweets-value", TWEET);
  assert.equal(id, 1);
  assert.equal(await client.register("tweets-value", TWEET), 1);
  assert.deepEqual(reg.requests, ["POST /subjects/tweets-value/versions"]); // cached

  const value = { id: "1", text: "héllo #x", likes: 3 };
  const bytes = await client.encode("tweets-value", TWEET, value);
  assert.equal(bytes[0], 0);
  assert.equal(bytes.readInt32BE(1), 1);
  assert.deepEqual(bytes.subarray(5), avro.Type.forSchema(TWEET).toBuffer(value));

  // a second client (a consumer elsewhere) fetches the schema by id once
  const consumer = new SchemaRegistryClient(reg.url);
  const decode = avroRegistryDecoder<typeof value>(consumer);
  assert.deepEqual({ ...(await decode(bytes)) }, value);
  assert.deepEqual({ ...(await decode(bytes)) }, value);
  assert.equal(await decode(null), null);
  assert.equal(reg.requests.filter((r) => r === "GET /schemas/ids/1").length, 1);

  const latest = await client.getLatest("tweets-value");
  assert.equal(latest.id, 1);
  assert.equal(latest.version, 1);
  assert.deepEqual(JSON.parse(latest.schema), TWEET);
});

test("registry client: registry errors keep error_code; bad bytes raise MR_FORMAT_INVALID", async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.close());
  const client = new SchemaRegistryClient(reg.url);
  await assert.rejects(client.getSchemaById(99), { code: "MR_FORMAT_REGISTRY", status: 404, errorCode: 40403 });
  await assert.rejects(client.getLatest("nope"), { code: "MR_FORMAT_REGISTRY", status: 404, errorCode: 40401 });
  await assert.rejects(
    client.register("bad", { type: "record", name: "X", fields: [{ name: "a", type: "nosuchtype" }] } as avro.Schema),
    {
      code: "MR_FORMAT_REGISTRY",
      status: 422,
      errorCode: 42201,
    },
  );
  // a failed call is not cached: the retry succeeds
  reg.failNext = 1;
  await assert.rejects(client.register("tweets-value", TWEET), { errorCode: 50001, status: 500 });
  assert.equal(await client.register("tweets-value", TWEET), 1);

  const good = await client.encode("tweets-value", TWEET, { id: "2", text: "t", likes: 1 });
  const decode = avroRegistryDecoder(client);
  await assert.rejects(decode(good.subarray(0, 3)), { code: "MR_FORMAT_INVALID" });
  await assert.rejects(decode(Buffer.concat([good, Buffer.from([1, 2])])), { code: "MR_FORMAT_INVALID" });
  await assert.rejects(decode(frame(77, Buffer.from([2]))), { code: "MR_FORMAT_REGISTRY", errorCode: 40403 });
  await assert.rejects(client.encode("tweets-value", TWEET, { id: 5 }), { code: "MR_FORMAT_INVALID" });
});

test("registry client: an unreachable registry is MR_FORMAT_REGISTRY with status 0", async () => {
  const reg = await startRegistry();
  const url = reg.url;
  await reg.close();
  await assert.rejects(new SchemaRegistryClient(url).getSchemaById(1), { code: "MR_FORMAT_REGISTRY", status: 0 });
});
