/**
 * confluent-kafka-python (librdkafka) against millrace's secured listeners:
 * produce, consume in a group and commit over SASL_SSL with SCRAM-SHA-512 and
 * with PLAIN, and over SSL with a client certificate (mTLS).
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { removeDir, type TestBroker } from "../helpers/broker.js";
import { makePki, type Pki } from "../helpers/certs.js";
import { PLAIN_JAAS, addressOf, startSecureBroker } from "../broker/security-helpers.js";
import { INTEROP_DIR, PYTHON, assertPresent, missingPythonModule, needs, runOk } from "./helpers.js";

const missing = missingPythonModule("confluent_kafka", "python3-confluent-kafka");

let pki: Pki;
let tb: TestBroker;
before(async () => {
  if (missing) return;
  pki = makePki();
  tb = await startSecureBroker(pki, {
    "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-512,PLAIN",
    "listener.name.sasl_ssl.plain.sasl.jaas.config": PLAIN_JAAS,
  });
});
after(async () => {
  if (missing) return;
  await tb.stop();
  removeDir(tb.dir);
  rmSync(pki.dir, { recursive: true, force: true });
});

async function roundTrip(name: string, listener: string, conf: Record<string, string>): Promise<void> {
  const topic = `ck-sec-${name}`;
  await tb.broker.createTopic(topic, 2);
  const full = { "bootstrap.servers": addressOf(tb, listener).bootstrap, "ssl.ca.location": pki.ca, ...conf };
  const r = await runOk(
    PYTHON,
    [join(INTEROP_DIR, "confluent_kafka_secure.py"), JSON.stringify(full), topic, `${topic}-g`, "20"],
    {
      timeoutMs: 120_000,
    },
  );
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { values: string[]; committed: number };
  assert.deepEqual([...out.values].sort(), Array.from({ length: 20 }, (_, i) => `${topic}-${i}`).sort(), name);
  assert.equal(out.committed, 20, `${name}: the group committed every record`);
}

test(
  "confluent-kafka-python over SASL_SSL SCRAM-SHA-512 and PLAIN, and over mTLS: produce, group consume, commit",
  needs(missing, 300_000),
  async () => {
    assertPresent(missing);
    const sasl = (mech: string, u: string, pw: string) => ({
      "security.protocol": "SASL_SSL",
      "sasl.mechanisms": mech,
      "sasl.username": u,
      "sasl.password": pw,
    });
    await roundTrip("scram512", "SASL_SSL", sasl("SCRAM-SHA-512", "scram-user", "scram-secret"));
    await roundTrip("plain", "SASL_SSL", sasl("PLAIN", "alice", "alice-secret"));
    await roundTrip("mtls", "SSL", {
      "security.protocol": "SSL",
      "ssl.certificate.location": pki.clientCert,
      "ssl.key.location": pki.clientKey,
    });
  },
);
