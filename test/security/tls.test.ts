import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, createServer, type TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { opensslCipherName, tlsSettings, watchTlsFiles, type TlsSettings } from "../../src/security/tls.js";
import { makePki } from "../helpers/certs.js";

const pki = makePki();
after(() => rmSync(pki.dir, { recursive: true, force: true }));

const getter = (m: Record<string, string>) => (k: string) => m[k];

/** Handshakes a real TLS client with a server using `s`; returns the server's certificate subject CN. */
async function handshake(
  s: TlsSettings,
  client: Record<string, unknown> = {},
): Promise<{ cn: string; protocol: string | null; cipher: string }> {
  const server = createServer(
    { ...s.context, requestCert: s.clientAuth !== "none", rejectUnauthorized: s.clientAuth === "required" },
    (sock) => sock.end("ok"),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as { port: number }).port;
    return await new Promise((resolve, reject) => {
      // resolves on the server's "ok": with TLS 1.3 a refused client certificate only shows after the handshake
      const sock: TLSSocket = connect({ host: "127.0.0.1", port, ca: [pki.caCert], ...client });
      sock.once("data", (d) => {
        const cert = sock.getPeerCertificate();
        if (d.toString() !== "ok") reject(new Error("unexpected data"));
        resolve({ cn: String(cert.subject.CN), protocol: sock.getProtocol(), cipher: sock.getCipher().name });
        sock.end();
      });
      sock.on("error", reject);
      sock.on("close", () => reject(new Error("closed before the server's reply")));
    });
  } finally {
    server.close();
  }
}

test("PEM keystore from one file (KIP-651), inline, and with an encrypted key; a PEM truststore", async () => {
  const fromFile = tlsSettings(
    getter({ "ssl.keystore.type": "PEM", "ssl.keystore.location": pki.serverKeystore }),
    "server",
  );
  assert.deepEqual(fromFile.files, [pki.serverKeystore]);
  assert.equal((await handshake(fromFile)).cn, "localhost");
  const inline = tlsSettings(
    getter({
      "ssl.keystore.type": "PEM",
      "ssl.keystore.key": readFileSync(pki.serverKey, "utf8"),
      "ssl.keystore.certificate.chain": readFileSync(pki.serverCert, "utf8"),
    }),
    "server",
  );
  assert.equal((await handshake(inline)).cn, "localhost");
  const encrypted = {
    "ssl.keystore.type": "PEM",
    "ssl.keystore.key": readFileSync(pki.serverKeyEncrypted, "utf8"),
    "ssl.keystore.certificate.chain": readFileSync(pki.serverCert, "utf8"),
  };
  assert.throws(() => tlsSettings(getter(encrypted), "server"), {
    code: "MR_SECURITY_CONFIG",
    message: /^ssl.key.password:/,
  });
  const enc = tlsSettings(getter({ ...encrypted, "ssl.key.password": "keypass" }), "server");
  assert.equal((await handshake(enc)).cn, "localhost");
  const client = tlsSettings(getter({ "ssl.truststore.type": "PEM", "ssl.truststore.location": pki.ca }), "client");
  assert.equal((client.context.ca as string[]).length, 1);
  const inlineTrust = tlsSettings(
    getter({ "ssl.truststore.type": "PEM", "ssl.truststore.certificates": pki.caCert }),
    "client",
  );
  assert.deepEqual(inlineTrust.context.ca, client.context.ca);
});

test(
  "PKCS12 keystore; JKS refused with the keytool command; PKCS12 truststore refused with the openssl " + "command",
  async () => {
    const p12 = tlsSettings(
      getter({
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": pki.serverP12,
        "ssl.keystore.password": "storepass",
      }),
      "server",
    );
    assert.equal((await handshake(p12)).cn, "localhost");
    assert.throws(() => tlsSettings(getter({ "ssl.keystore.location": "/etc/kafka/server.keystore.jks" }), "server"), {
      message:
        "ssl.keystore.type: JKS stores are not supported (Node's TLS reads PEM and PKCS12); convert it with " +
        "keytool -importkeystore -srckeystore /etc/kafka/server.keystore.jks -destkeystore " +
        "/etc/kafka/server.keystore.p12 -deststoretype PKCS12 and set ssl.keystore.type=PKCS12",
    });
    assert.throws(
      () => tlsSettings(getter({ "ssl.truststore.type": "JKS", "ssl.truststore.location": "t.jks" }), "client"),
      {
        message: new RegExp(
          [
            "^ssl.truststore.type: JKS .*keytool -importkeystore ",
            "-srckeystore t.jks -destkeystore t.p12 -deststoretype PKCS12",
          ].join(""),
        ),
      },
    );
    assert.throws(
      () => tlsSettings(getter({ "ssl.truststore.type": "PKCS12", "ssl.truststore.location": "t.p12" }), "client"),
      {
        message: /openssl pkcs12 -in t.p12 -nokeys/,
      },
    );
    assert.throws(() => tlsSettings(getter({}), "server"), { message: /a TLS listener needs a keystore/ });
    assert.throws(
      () =>
        tlsSettings(
          getter({ "ssl.keystore.type": "PEM", "ssl.keystore.location": join(pki.dir, "nope.pem") }),
          "server",
        ),
      {
        message: /ssl.keystore.location: cannot read .*ENOENT/,
      },
    );
    assert.throws(
      () => tlsSettings(getter({ "ssl.keystore.type": "PEM", "ssl.keystore.location": pki.serverCert }), "server"),
      {
        message: /exactly one private key, found 0/,
      },
    );
  },
);

test("ssl.enabled.protocols, ssl.protocol and ssl.cipher.suites with Java names", async () => {
  const base = { "ssl.keystore.type": "PEM", "ssl.keystore.location": pki.serverKeystore };
  const only12 = tlsSettings(
    getter({
      ...base,
      "ssl.enabled.protocols": "TLSv1.2",
      "ssl.cipher.suites": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    }),
    "server",
  );
  assert.equal(only12.minVersion, "TLSv1.2");
  assert.equal(only12.maxVersion, "TLSv1.2");
  const h = await handshake(only12);
  assert.equal(h.protocol, "TLSv1.2");
  assert.equal(h.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
  const both = tlsSettings(getter(base), "server");
  assert.equal((await handshake(both)).protocol, "TLSv1.3");
  assert.equal(opensslCipherName("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"), "ECDHE-RSA-AES128-SHA256");
  assert.equal(opensslCipherName("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"), "ECDHE-RSA-CHACHA20-POLY1305");
  assert.equal(opensslCipherName("TLS_RSA_WITH_AES_128_GCM_SHA256"), "AES128-GCM-SHA256");
  assert.equal(opensslCipherName("TLS_DHE_RSA_WITH_AES_256_CBC_SHA"), "DHE-RSA-AES256-SHA");
  assert.equal(opensslCipherName("TLS_AES_256_GCM_SHA384"), "TLS_AES_256_GCM_SHA384");
  assert.equal(opensslCipherName("SSL_RSA_WITH_RC4_128_MD5"), null);
  assert.throws(
    () => tlsSettings(getter({ ...base, "ssl.cipher.suites": "TLS_KRB5_WITH_3DES_EDE_CBC_SHA" }), "server"),
    {
      message: /^ssl.cipher.suites: TLS_KRB5_WITH_3DES_EDE_CBC_SHA is not a cipher suite/,
    },
  );
  assert.throws(() => tlsSettings(getter({ ...base, "ssl.enabled.protocols": "SSLv3" }), "server"), {
    message: /^ssl.enabled.protocols:/,
  });
  assert.throws(() => tlsSettings(getter({ ...base, "ssl.protocol": "TLSv9" }), "server"), {
    message: /^ssl.protocol:/,
  });
  assert.throws(() => tlsSettings(getter({ ...base, "ssl.client.auth": "maybe" }), "server"), {
    message: /^ssl.client.auth:/,
  });
});

test("ssl.client.auth=required: a certificate from the truststore's CA is accepted, another CA's refused", async () => {
  const s = tlsSettings(
    getter({
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": pki.serverKeystore,
      "ssl.truststore.type": "PEM",
      "ssl.truststore.location": pki.ca,
      "ssl.client.auth": "required",
    }),
    "server",
  );
  assert.equal(s.clientAuth, "required");
  const ok = await handshake(s, { key: readFileSync(pki.clientKey), cert: readFileSync(pki.clientCert) });
  assert.equal(ok.cn, "localhost");
  await assert.rejects(
    handshake(s, { key: readFileSync(pki.otherClientKey), cert: readFileSync(pki.otherClientCert) }),
  );
  await assert.rejects(handshake(s));
});

test("a changed keystore file is read again (certificate reload)", async () => {
  const ks = join(pki.dir, "reload-keystore.pem");
  copyFileSync(pki.serverKeystore, ks);
  const get = getter({ "ssl.keystore.type": "PEM", "ssl.keystore.location": ks });
  const first = tlsSettings(get, "server");
  const keepAlive = setInterval(() => undefined, 1000);
  const reloaded = new Promise<TlsSettings>((resolve, reject) => {
    const stop = watchTlsFiles(
      first,
      () => tlsSettings(get, "server"),
      (s) => {
        stop();
        resolve(s);
      },
      reject,
      20,
    );
  });
  // "renew": a keystore with the client's key and certificate (a different subject)
  const renewed = readFileSync(pki.clientKey, "utf8") + readFileSync(pki.clientCert, "utf8");
  await new Promise((r) => setTimeout(r, 50));
  writeFileSync(ks, renewed);
  const s = await reloaded.finally(() => clearInterval(keepAlive));
  assert.equal(new X509Certificate(String(s.context.cert)).subject.includes("CN=alice"), true);
});
