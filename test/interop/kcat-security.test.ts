/**
 * kcat (librdkafka) against millrace's secured listeners: produce, consume in
 * a group (kcat -G) and commit over SASL_SSL with SCRAM-SHA-512 and with
 * PLAIN, and over SSL with a client certificate (mTLS); a wrong password is
 * refused. Committed offsets are checked with KafkaJS over PLAINTEXT.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { removeDir, type TestBroker } from "../helpers/broker.js";
import { makePki, type Pki } from "../helpers/certs.js";
import { PLAIN_JAAS, addressOf, startSecureBroker } from "../broker/security-helpers.js";
import { assertPresent, importClient, missingCommand, needs, run, runOk } from "./helpers.js";

const missing = missingCommand("kcat", ["-V"], "kcat");
const kjs = await importClient<{ default: typeof import("kafkajs") }>("kafkajs");

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

function props(listener: string, extra: Record<string, string>): string[] {
  const all: Record<string, string> = { "ssl.ca.location": pki.ca, ...extra };
  return ["-b", addressOf(tb, listener).bootstrap, ...Object.entries(all).flatMap(([k, v]) => ["-X", `${k}=${v}`])];
}

async function committed(groupId: string, topic: string): Promise<number> {
  assertPresent(kjs.missing);
  const admin = new kjs.mod!.default.Kafka({ brokers: [addressOf(tb, "PLAINTEXT").bootstrap], logLevel: 0 }).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function roundTrip(name: string, listener: string, security: Record<string, string>): Promise<void> {
  const topic = `kcat-sec-${name}`;
  const lines = Array.from({ length: 50 }, (_, i) => `${name}-${i}`);
  const p = props(listener, { ...security, "topic.metadata.refresh.interval.ms": "1000" });
  await runOk("kcat", [...p, "-P", "-t", topic, "-X", "allow.auto.create.topics=true", "-X", "acks=all"], {
    input: `${lines.join("\n")}\n`,
  });
  const group = `${topic}-group`;
  const c = await runOk(
    "kcat",
    [
      ...p,
      "-G",
      group,
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      "enable.auto.commit=true",
      "-X",
      "auto.commit.interval.ms=100",
      "-e",
      "-q",
      "-f",
      "%s\n",
      topic,
    ],
    { timeoutMs: 90_000 },
  );
  assert.deepEqual(
    c.stdout
      .split("\n")
      .filter((l) => l)
      .sort(),
    [...lines].sort(),
    name,
  );
  assert.equal(await committed(group, topic), lines.length, `${name}: the group committed every record`);
}

test(
  "kcat over SASL_SSL SCRAM-SHA-512 and PLAIN, and over mTLS: produce, group consume, commit",
  needs(missing ?? kjs.missing, 240_000),
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
    const bad = await run(
      "kcat",
      [...props("SASL_SSL", sasl("SCRAM-SHA-512", "scram-user", "wrong")), "-L", "-m", "5"],
      { timeoutMs: 60_000 },
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Authentication failed|SASL authentication error/i);
  },
);
