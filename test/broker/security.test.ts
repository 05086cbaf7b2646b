/**
 * The broker's listeners with TLS and SASL, over real sockets: what is served
 * before authentication, and every bad input (wrong password, unknown user,
 * unknown mechanism, SASL frames out of order, a handshake on PLAINTEXT, a
 * 100 MB length prefix, a client certificate from another CA) gets Kafka's
 * error or a closed connection while the broker keeps serving others and the
 * log is unchanged.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { encodeBatch } from "../../src/protocol/records/records.js";
import { removeDir, type TestBroker } from "../helpers/broker.js";
import { makePki, type Pki } from "../helpers/certs.js";
import { RawKafkaSocket, addressOf, startSecureBroker } from "./security-helpers.js";

let pki: Pki;
let tb: TestBroker;
before(async () => {
  pki = makePki();
  tb = await startSecureBroker(pki);
  const c = await KafkaClient.connect(addressOf(tb, "PLAINTEXT").bootstrap);
  await c.createTopic("t", 1);
  await c.produce("t", 0, encodeBatch({ records: [{ value: "v0" }] }), -1);
  await c.close();
});
after(async () => {
  await tb.stop();
  removeDir(tb.dir);
  rmSync(pki.dir, { recursive: true, force: true });
});

/** Every file under the log dir with its size. */
function logFiles(): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${p}:${statSync(p).size}`);
    }
  };
  walk(tb.dir);
  return out.sort().join("\n");
}

async function stillServes(): Promise<void> {
  const c = await KafkaClient.connect(addressOf(tb, "PLAINTEXT").bootstrap);
  const [m] = await c.metadata(["t"]);
  assert.equal(m.partitions.length, 1);
  await c.close();
}

const sasl = () => RawKafkaSocket.open(addressOf(tb, "SASL_PLAINTEXT").port);
const metadataV1 = { topics: [] };
const plainToken = (u: string, p: string) => Buffer.from(`\u0000${u}\u0000${p}`);

test(
  "SASL_PLAINTEXT: ApiVersions is served before authentication (with the SASL APIs), anything else " + "closes",
  async () => {
    const s = await sasl();
    const v = (await s.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" }))!;
    const keys = (v.apiKeys as { apiKey: number; minVersion: number; maxVersion: number }[]).map((a) => [
      a.apiKey,
      a.minVersion,
      a.maxVersion,
    ]);
    assert.deepEqual(
      keys.find((k) => k[0] === ApiKey.SaslHandshake),
      [17, 0, 1],
    );
    assert.deepEqual(
      keys.find((k) => k[0] === ApiKey.SaslAuthenticate),
      [36, 0, 2],
    );
    assert.equal(await s.request(ApiKey.Metadata, 1, metadataV1), null);
    await s.closed;
  },
);

test(
  "bad SASL input: each gets Kafka's error or a closed connection; the broker keeps serving and the log is " +
    "unchanged",
  async () => {
    const before = logFiles();
    // a SASL frame before the handshake
    let s = await sasl();
    assert.equal(await s.request(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken("alice", "alice-secret") }), null);
    // an unknown mechanism: UNSUPPORTED_SASL_MECHANISM with the enabled ones, then closed
    s = await sasl();
    assert.deepEqual(await s.request(ApiKey.SaslHandshake, 1, { mechanism: "GSSAPI" }), {
      errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: ["PLAIN"],
    });
    await s.closed;
    // wrong password and unknown user: SASL_AUTHENTICATION_FAILED with Kafka's message, then closed
    for (const [u, p] of [
      ["alice", "wrong"],
      ["nobody", "alice-secret"],
    ]) {
      s = await sasl();
      assert.equal((await s.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" }))!.errorCode, 0);
      const r = (await s.request(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken(u, p) }))!;
      assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
      assert.equal(r.errorMessage, "Authentication failed: Invalid username or password");
      await s.closed;
    }
    // a second handshake before authenticating
    s = await sasl();
    await s.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
    assert.equal(await s.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" }), null);
    // a length prefix of 100 MB before authentication: closed at once, nothing allocated for it
    s = await sasl();
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(100 * 1024 * 1024);
    s.writeRaw(huge);
    await s.closed;
    // a produce before authentication
    s = await sasl();
    assert.equal(
      await s.request(ApiKey.Produce, 3, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [] }),
      null,
    );
    await stillServes();
    assert.equal(logFiles(), before);
  },
);

test(
  "PLAIN over SaslHandshake v1 + SaslAuthenticate; Metadata then advertises the listener connected " + "through",
  async () => {
    const s = await sasl();
    assert.deepEqual(await s.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" }), {
      errorCode: 0,
      mechanisms: ["PLAIN"],
    });
    const r = (await s.request(ApiKey.SaslAuthenticate, 1, { authBytes: plainToken("alice", "alice-secret") }))!;
    assert.equal(r.errorCode, 0);
    assert.equal(r.sessionLifetimeMs, 0n);
    const m = (await s.request(ApiKey.Metadata, 1, metadataV1))!;
    const brokers = m.brokers as { host: string; port: number }[];
    assert.deepEqual(
      brokers.map((b) => b.port),
      [addressOf(tb, "SASL_PLAINTEXT").port],
    );
    // once authenticated, another handshake is ILLEGAL_SASL_STATE (as Kafka), and the connection stays
    assert.equal(
      (await s.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" }))!.errorCode,
      ErrorCode.ILLEGAL_SASL_STATE,
    );
    assert.equal(
      (await s.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.alloc(0) }))!.errorCode,
      ErrorCode.ILLEGAL_SASL_STATE,
    );
    assert.ok((await s.request(ApiKey.Metadata, 1, metadataV1)) !== null);
    s.close();
  },
);

test("SaslHandshake v0 is followed by raw (unframed) SASL tokens", async () => {
  let s = await sasl();
  assert.equal((await s.request(ApiKey.SaslHandshake, 0, { mechanism: "PLAIN" }))!.errorCode, 0);
  const tok = plainToken("admin", "admin-secret");
  const size = Buffer.alloc(4);
  size.writeInt32BE(tok.length);
  s.writeRaw(Buffer.concat([size, tok]));
  assert.equal((await s.nextFrame())!.length, 0);
  assert.ok((await s.request(ApiKey.Metadata, 1, metadataV1)) !== null);
  s.close();
  // a wrong password over raw tokens closes the connection
  s = await sasl();
  await s.request(ApiKey.SaslHandshake, 0, { mechanism: "PLAIN" });
  const bad = plainToken("admin", "nope");
  size.writeInt32BE(bad.length);
  s.writeRaw(Buffer.concat([size, bad]));
  assert.equal(await s.nextFrame(), null);
});

test("a SaslHandshake on a PLAINTEXT listener is ILLEGAL_SASL_STATE and the connection keeps working", async () => {
  const s = await RawKafkaSocket.open(addressOf(tb, "PLAINTEXT").port);
  assert.equal(
    (await s.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" }))!.errorCode,
    ErrorCode.ILLEGAL_SASL_STATE,
  );
  assert.ok((await s.request(ApiKey.Metadata, 1, metadataV1)) !== null);
  s.close();
});

test(
  "SSL with ssl.client.auth=required: the CA's client certificate is served, another CA's or none is " + "refused",
  async () => {
    const port = addressOf(tb, "SSL").port;
    const before = logFiles();
    const ok = await RawKafkaSocket.open(port, { ca: pki.caCert, key: pki.clientKey, cert: pki.clientCert });
    const m = (await ok.request(ApiKey.Metadata, 1, metadataV1))!;
    assert.deepEqual(
      (m.brokers as { port: number }[]).map((b) => b.port),
      [port],
    );
    ok.close();
    for (const tls of [{ ca: pki.caCert, key: pki.otherClientKey, cert: pki.otherClientCert }, { ca: pki.caCert }]) {
      // with TLS 1.3 the client learns of the refusal after its side of the handshake: the request gets no answer
      const s = await RawKafkaSocket.open(port, tls).catch(() => null);
      if (s) assert.equal(await s.request(ApiKey.Metadata, 1, metadataV1), null);
    }
    await stillServes();
    assert.equal(logFiles(), before);
  },
);
