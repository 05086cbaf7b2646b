/**
 * KafkaJS against millrace's secured listeners: produce, consume in a group
 * and commit over SASL_SSL with SCRAM-SHA-512 (and SCRAM-SHA-256), over
 * SASL_PLAINTEXT with PLAIN, and over SSL with a client certificate (mTLS);
 * a wrong password and an unknown user are refused with Kafka's error.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { removeDir, type TestBroker } from "../helpers/broker.js";
import { makePki, type Pki } from "../helpers/certs.js";
import { addressOf, startSecureBroker } from "../broker/security-helpers.js";
import { assertPresent, importClient, needs } from "./helpers.js";

type KafkaJS = typeof import("kafkajs");
const loaded = await importClient<{ default: KafkaJS }>("kafkajs");
const kafkajs = loaded.mod?.default ?? null;

let pki: Pki;
let tb: TestBroker;
before(async () => {
  if (loaded.missing) return;
  pki = makePki();
  tb = await startSecureBroker(pki);
});
after(async () => {
  if (loaded.missing) return;
  await tb.stop();
  removeDir(tb.dir);
  rmSync(pki.dir, { recursive: true, force: true });
});

type KafkaConfig = ConstructorParameters<KafkaJS["Kafka"]>[0];

async function roundTrip(
  name: string,
  config: Omit<KafkaConfig, "brokers" | "clientId">,
  listener: string,
): Promise<void> {
  const { Kafka, logLevel } = kafkajs!;
  const errors: string[] = [];
  const kafka = new Kafka({
    clientId: `millrace-kjs-${name}`,
    brokers: [addressOf(tb, listener).bootstrap],
    logLevel: logLevel.ERROR,
    logCreator: () => (e) => void errors.push(`${e.namespace}: ${e.log.message}`),
    retry: { retries: 2 },
    ...config,
  });
  const topic = `sec-${name}`;
  const groupId = `sec-${name}-group`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent = Array.from({ length: 20 }, (_, i) => `${name}-${i}`);
  await producer.send({ topic, acks: -1, messages: sent.map((v, i) => ({ key: `k${i}`, value: v })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 1_000 });
  const got: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      got.push(message.value!.toString());
      if (got.length === sent.length) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    all.then(() => "ok"),
    new Promise((r) => (timer = setTimeout(() => r("timeout"), 60_000))),
  ]);
  clearTimeout(timer);
  await consumer.disconnect();
  assert.equal(outcome, "ok", `${name}: consumed ${got.length} of ${sent.length}; errors: ${errors.join("; ")}`);
  assert.deepEqual([...got].sort(), [...sent].sort());
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const total = committed[0].partitions.reduce((n, p) => n + Number(p.offset), 0);
  assert.equal(total, sent.length, `${name}: the group committed every record`);
  await admin.disconnect();
}

const tls = () => ({ ca: [pki.caCert] });

test(
  "KafkaJS over SASL_SSL with SCRAM-SHA-512 and SCRAM-SHA-256: produce, group consume, commit",
  needs(loaded.missing, 180_000),
  async () => {
    assertPresent(loaded.missing);
    await roundTrip(
      "scram512",
      { ssl: tls(), sasl: { mechanism: "scram-sha-512", username: "scram-user", password: "scram-secret" } },
      "SASL_SSL",
    );
    await roundTrip(
      "scram256",
      { ssl: tls(), sasl: { mechanism: "scram-sha-256", username: "scram-user", password: "scram-secret" } },
      "SASL_SSL",
    );
  },
);

test(
  "KafkaJS over SASL_PLAINTEXT with PLAIN: produce, group consume, commit",
  needs(loaded.missing, 180_000),
  async () => {
    assertPresent(loaded.missing);
    await roundTrip(
      "plain",
      { sasl: { mechanism: "plain", username: "alice", password: "alice-secret" } },
      "SASL_PLAINTEXT",
    );
  },
);

test(
  "KafkaJS over SSL with a client certificate (mTLS): produce, group consume, commit",
  needs(loaded.missing, 180_000),
  async () => {
    assertPresent(loaded.missing);
    await roundTrip(
      "mtls",
      { ssl: { ...tls(), key: readFileSync(pki.clientKey, "utf8"), cert: readFileSync(pki.clientCert, "utf8") } },
      "SSL",
    );
  },
);

test(
  "KafkaJS: a wrong password and an unknown user are refused with SASL authentication errors",
  needs(loaded.missing, 60_000),
  async () => {
    assertPresent(loaded.missing);
    const { Kafka, logLevel } = kafkajs!;
    const cases: [string, KafkaConfig["sasl"], { ssl?: object }][] = [
      ["SASL_SSL", { mechanism: "scram-sha-512", username: "scram-user", password: "wrong" }, { ssl: tls() }],
      ["SASL_SSL", { mechanism: "scram-sha-256", username: "nobody", password: "x" }, { ssl: tls() }],
      ["SASL_PLAINTEXT", { mechanism: "plain", username: "alice", password: "wrong" }, {}],
    ];
    for (const [listener, sasl, extra] of cases) {
      const kafka = new Kafka({
        brokers: [addressOf(tb, listener).bootstrap],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        sasl,
        ...extra,
      });
      const admin = kafka.admin();
      await assert.rejects(
        admin.connect(),
        (e: Error) => /SASL|authentication/i.test(`${e.name} ${e.message}`),
        `${listener} ${sasl?.mechanism}`,
      );
      await admin.disconnect().catch(() => undefined);
    }
    // the broker still serves a good client
    await roundTrip(
      "after-bad",
      { sasl: { mechanism: "plain", username: "admin", password: "admin-secret" } },
      "SASL_PLAINTEXT",
    );
  },
);
