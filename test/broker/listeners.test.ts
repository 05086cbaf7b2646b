/**
 * Listener security settings read at start (errors name the key), OAUTHBEARER
 * through SaslAuthenticate against a JWKS file, the warning banner for an open
 * PLAINTEXT listener, and a TLS keystore replaced on disk while serving.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { connect } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { Broker } from "../../src/broker/broker.js";
import { loadBrokerConfig } from "../../src/broker/config.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { OAuthBearerSaslClient } from "../../src/security/sasl/oauthbearer.js";
import { removeDir, startBroker, tempDir } from "../helpers/broker.js";
import { makePki, type Pki } from "../helpers/certs.js";
import { RawKafkaSocket, addressOf } from "./security-helpers.js";

let pki: Pki;
const dirs: string[] = [];
before(() => {
  pki = makePki();
});
after(() => {
  dirs.forEach(removeDir);
  rmSync(pki.dir, { recursive: true, force: true });
});

async function startFails(props: Record<string, string>, re: RegExp): Promise<void> {
  const dir = tempDir();
  dirs.push(dir);
  await assert.rejects(
    startBroker(props, dir),
    (e: Error & { code?: string }) => e.code === "MR_SECURITY_CONFIG" && re.test(e.message),
    JSON.stringify(props),
  );
}

test("a secured listener's missing or wrong settings stop the start with the key named", async () => {
  await startFails(
    { listeners: "SSL://127.0.0.1:0" },
    /listener SSL: ssl.keystore.location: a TLS listener needs a keystore/,
  );
  await startFails(
    { listeners: "SASL_PLAINTEXT://127.0.0.1:0" },
    /^listener.name.sasl_plaintext.sasl.enabled.mechanisms: GSSAPI is not supported \(no Kerberos/,
  );
  await startFails(
    { listeners: "SASL_PLAINTEXT://127.0.0.1:0", "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "PLAIN" },
    /^listener.name.sasl_plaintext.plain.sasl.jaas.config: PLAIN needs a PlainLoginModule/,
  );
  await startFails(
    { listeners: "SASL_PLAINTEXT://127.0.0.1:0", "sasl.enabled.mechanisms": "OAUTHBEARER" },
    /sasl.oauthbearer.jwks.endpoint.url: OAUTHBEARER needs a JWKS/,
  );
  await startFails(
    { listeners: "SSL://127.0.0.1:0", "ssl.keystore.location": "/etc/kafka/broker.keystore.jks" },
    /keytool -importkeystore -srckeystore \/etc\/kafka\/broker.keystore.jks/,
  );
  await startFails(
    {
      listeners: "SSL://127.0.0.1:0",
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": pki.serverKeystore,
      "ssl.principal.mapping.rules": "RULE:bad",
    },
    /ssl.principal.mapping.rules: Invalid rule/,
  );
});

test(
  "OAUTHBEARER through SaslAuthenticate: a valid JWT authenticates, an expired one gets the RFC 7628 error " +
    "then SASL_AUTHENTICATION_FAILED",
  async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwks = join(pki.dir, "jwks.json");
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] }));
    const tb = await startBroker({
      listeners: "SASL_PLAINTEXT://127.0.0.1:0",
      "sasl.enabled.mechanisms": "OAUTHBEARER",
      "sasl.oauthbearer.jwks.endpoint.url": pathToFileURL(jwks).href,
      "sasl.oauthbearer.expected.audience": "millrace",
      "connection.failed.authentication.delay.ms": "0",
    });
    dirs.push(tb.dir);
    try {
      const now = Math.floor(Date.now() / 1000);
      const jwt = (exp: number) =>
        new SignJWT({ sub: "svc-orders" })
          .setProtectedHeader({ alg: "ES256", kid: "k1" })
          .setAudience("millrace")
          .setIssuedAt(now - 7200)
          .setExpirationTime(exp)
          .sign(privateKey);
      const port = addressOf(tb, "SASL_PLAINTEXT").port;
      let s = await RawKafkaSocket.open(port);
      assert.equal((await s.request(ApiKey.SaslHandshake, 1, { mechanism: "OAUTHBEARER" }))!.errorCode, 0);
      const ok = (await s.request(ApiKey.SaslAuthenticate, 2, {
        authBytes: new OAuthBearerSaslClient(await jwt(now + 600)).initialResponse(),
      }))!;
      assert.equal(ok.errorCode, 0);
      assert.ok((await s.request(ApiKey.Metadata, 1, { topics: [] })) !== null);
      s.close();
      s = await RawKafkaSocket.open(port);
      await s.request(ApiKey.SaslHandshake, 1, { mechanism: "OAUTHBEARER" });
      const challenge = (await s.request(ApiKey.SaslAuthenticate, 2, {
        authBytes: new OAuthBearerSaslClient(await jwt(now - 3600)).initialResponse(),
      }))!;
      assert.equal(challenge.errorCode, 0);
      assert.deepEqual(JSON.parse((challenge.authBytes as Buffer).toString()), { status: "invalid_token" });
      const fail = (await s.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from("\x01") }))!;
      assert.equal(fail.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
      assert.match(String(fail.errorMessage), /ERR_JWT_EXPIRED/);
      await s.closed;
    } finally {
      await tb.stop();
    }
  },
);

test(
  "a PLAINTEXT listener on a non-loopback address without an authorizer prints a warning banner; loopback " +
    "does not",
  async () => {
    for (const [host, warned] of [
      ["0.0.0.0", true],
      ["127.0.0.1", false],
    ] as const) {
      const lines: string[] = [];
      const sink = new Writable({
        write: (c, _e, cb) => {
          lines.push(String(c));
          cb();
        },
      });
      const dir = tempDir();
      dirs.push(dir);
      const broker = await Broker.start(
        loadBrokerConfig({ props: { listeners: `PLAINTEXT://${host}:0`, "log.dirs": dir } }),
        { logger: pino({ level: "warn" }, sink) },
      );
      await broker.stop();
      assert.equal(
        lines.some((l) => l.includes("WARNING: listener PLAINTEXT://0.0.0.0")),
        warned,
        host,
      );
    }
  },
);

function serverCertCN(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.destroy();
    });
    s.on("error", reject);
  });
}

test("a TLS listener picks up a keystore replaced on disk, without a restart", { timeout: 60_000 }, async () => {
  const ks = join(pki.dir, "live-keystore.pem");
  copyFileSync(pki.serverKeystore, ks);
  const tb = await startBroker({
    listeners: "SSL://127.0.0.1:0",
    "ssl.keystore.type": "PEM",
    "ssl.keystore.location": ks,
  });
  dirs.push(tb.dir);
  try {
    const port = addressOf(tb, "SSL").port;
    assert.equal(await serverCertCN(port), "localhost");
    writeFileSync(ks, readFileSync(pki.clientKey, "utf8") + readFileSync(pki.clientCert, "utf8"));
    let cn = "localhost";
    while (cn === "localhost") {
      await sleep(250);
      cn = await serverCertCN(port);
    }
    assert.equal(cn, "alice");
  } finally {
    await tb.stop();
  }
});
