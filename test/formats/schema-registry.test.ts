import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import avro from "avsc";
import { SchemaRegistryClient, frame, unframe } from "../../src/formats/schema-registry.js";
import { avroRegistryDecoder } from "../../src/formats/decoders.js";

/**
 * A tiny registry answering the way Confluent's does: content type
 * application/vnd.schemaregistry.v1+json, errors as {error_code, message}
 * (40401 subject not found, 40403 schema not found, 42201 invalid schema,
 * 50001 backend error). Ids are global; the same schema text gets the same id.
 */
interface FakeRegistry {
  server: Server;
  url: string;
  requests: string[];
  failNext: number;
  close(): Promise<void>;
}

async function startRegistry(): Promise<FakeRegistry> {
  const ids = new Map<string, number>();
  const schemas = new Map<number, string>();
  const subjects = new Map<string, { id: number; version: number }[]>();
  const reg: Partial<FakeRegistry> = { requests: [], failNext: 0 };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/vnd.schemaregistry.v1+json" });
    res.end(JSON.stringify(body));
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://x");
    reg.requests!.push(`${req.method} ${url.pathname}`);
    if (reg.failNext! > 0) {
      reg.failNext!--;
      return send(res, 500, { error_code: 50001, message: "Error in the backend data store" });
    }
    let m: RegExpMatchArray | null;
    if (req.method === "POST" && (m = url.pathname.match(/^\/subjects\/([^/]+)\/versions$/))) {
      const subject = decodeURIComponent(m[1]);
      if (!String(req.headers["content-type"]).startsWith("application/vnd.schemaregistry.v1+json")) {
        return send(res, 415, { error_code: 415, message: "HTTP 415 Unsupported Media Type" });
      }
      let text: string;
      try {
        text = (JSON.parse(Buffer.concat(chunks).toString()) as { schema: string }).schema;
        avro.Type.forSchema(JSON.parse(text));
      } catch (err) {
        return send(res, 422, { error_code: 42201, message: `Invalid schema ${(err as Error).message}` });
      }
      let id = ids.get(text);
      if (id === undefined) {
        id = ids.size + 1;
        ids.set(text, id);
        schemas.set(id, text);
      }
      const versions = subjects.get(subject) ?? [];
      if (!versions.some((v) => v.id === id)) versions.push({ id, version: versions.length + 1 });
      subjects.set(subject, versions);
      return send(res, 200, { id });
    }
    if (req.method === "GET" && (m = url.pathname.match(/^\/schemas\/ids\/(\d+)$/))) {
      const s = schemas.get(Number(m[1]));
      if (!s) return send(res, 404, { error_code: 40403, message: "Schema not found" });
      return send(res, 200, { schema: s });
    }
    if (req.method === "GET" && (m = url.pathname.match(/^\/subjects\/([^/]+)\/versions\/latest$/))) {
      const subject = decodeURIComponent(m[1]);
      const versions = subjects.get(subject);
      if (!versions) return send(res, 404, { error_code: 40401, message: `Subject '${subject}' not found.` });
      const v = versions[versions.length - 1];
      return send(res, 200, { subject, id: v.id, version: v.version, schema: schemas.get(v.id) });
    }
    send(res, 404, { error_code: 404, message: "HTTP 404 Not Found" });
  };
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return Object.assign(reg, {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  }) as FakeRegistry;
}

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
