/** millrace's own Kafka client (src/client) against a real broker: connecting, routing, errors. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { KafkaClient, KafkaError, check } from "../../src/client/client.js";
import { ClientError, KafkaConnection, parseHostPort } from "../../src/client/connection.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { encodeBatch, decodeRecordSet } from "../../src/protocol/records/records.js";
import { startBroker, removeDir, type TestBroker } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";
import { waitFor } from "../helpers/wait.js";

const brokers: TestBroker[] = [];
after(async () => {
  for (const b of brokers) {
    await b.stop();
    removeDir(b.dir);
  }
});

async function broker(): Promise<TestBroker> {
  const b = await startBroker();
  brokers.push(b);
  return b;
}

test("parseHostPort: host:port, the default port, bracketed IPv6; anything else is MR_CLIENT_ADDRESS", () => {
  assert.deepEqual(parseHostPort("kafka-1:19092"), { host: "kafka-1", port: 19092 });
  assert.deepEqual(parseHostPort("localhost"), { host: "localhost", port: 9092 });
  assert.deepEqual(parseHostPort("localhost", 9093), { host: "localhost", port: 9093 });
  assert.deepEqual(parseHostPort("[::1]:9094"), { host: "::1", port: 9094 });
  assert.deepEqual(parseHostPort("[::1]"), { host: "::1", port: 9092 });
  for (const bad of ["::1", "host:port", "a:1:2", "", ":9092"])
    assert.throws(
      () => parseHostPort(bad),
      (e: unknown) => e instanceof ClientError && e.code === "MR_CLIENT_ADDRESS" && e.message.includes(bad),
      bad,
    );
});

test("a connection learns the broker's API versions and picks the highest common one", async () => {
  const tb = await broker();
  const conn = await KafkaConnection.open(tb.bootstrap, { clientId: "client-test" });
  try {
    const fetchV = conn.version(ApiKey.Fetch);
    assert.ok(fetchV >= 4, `Fetch v${fetchV}`);
    assert.equal(conn.version(ApiKey.Fetch, 4), 4, "capped by max");
    assert.throws(
      () => conn.version(9999),
      (e: unknown) => e instanceof ClientError && e.code === "MR_CLIENT_UNSUPPORTED",
    );
    const res = await conn.request(ApiKey.Metadata, {
      topics: [],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal((res.brokers as { port: number }[])[0]!.port, parseHostPort(tb.bootstrap).port);
  } finally {
    conn.close();
  }
});

test("connecting: a refused address is MR_CLIENT_CONNECT; the client tries each bootstrap server in turn", async () => {
  const tb = await broker();
  const closed = `127.0.0.1:${await freePort()}`;
  await assert.rejects(
    KafkaConnection.open(closed),
    (e: unknown) => e instanceof ClientError && e.code === "MR_CLIENT_CONNECT" && /ECONNREFUSED/.test(e.message),
  );
  const client = await KafkaClient.connect(`${closed}, ${tb.bootstrap}`, { clientId: "second-try" });
  try {
    assert.equal(client.bootstrap.port, parseHostPort(tb.bootstrap).port);
  } finally {
    await client.close();
  }
  await assert.rejects(
    KafkaClient.connect(`${closed},${closed}`),
    (e: unknown) =>
      e instanceof ClientError &&
      e.code === "MR_CLIENT_CONNECT" &&
      e.message.startsWith("no bootstrap server reachable") &&
      e.message.split("ECONNREFUSED").length === 3,
  );
});

test("Kafka errors carry the protocol's code and a stable MR_KAFKA_ name", async () => {
  assert.doesNotThrow(() => check(ErrorCode.NONE, "anything"));
  assert.throws(
    () => check(ErrorCode.NOT_LEADER_OR_FOLLOWER, "produce to t-0", "moved"),
    (e: unknown) =>
      e instanceof KafkaError &&
      e.kafkaCode === ErrorCode.NOT_LEADER_OR_FOLLOWER &&
      e.code === "MR_KAFKA_NOT_LEADER_OR_FOLLOWER" &&
      e.message === "produce to t-0: NOT_LEADER_OR_FOLLOWER (moved)",
  );
  const tb = await broker();
  const client = await KafkaClient.connect(tb.bootstrap);
  try {
    await assert.rejects(
      client.topic("no-such-topic"),
      (e: unknown) => e instanceof KafkaError && e.code === "MR_KAFKA_UNKNOWN_TOPIC_OR_PARTITION",
    );
    await client.createTopic("two", 2);
    await assert.rejects(
      client.leader("two", 2),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.kafkaCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION &&
        /no partition 2 in two/.test(e.message),
    );
  } finally {
    await client.close();
  }
});

test("produce with acks=0 gets no response (offset -1) and the records still arrive", async () => {
  const tb = await broker();
  const client = await KafkaClient.connect(tb.bootstrap);
  try {
    await client.createTopic("fire-and-forget", 1);
    assert.equal(await client.produce("fire-and-forget", 0, encodeBatch({ records: [{ value: "x" }] }), 0), -1n);
    assert.equal(await client.produce("fire-and-forget", 0, encodeBatch({ records: [{ value: "y" }] }), 1), 1n);
    const f = await waitFor(async () => {
      const r = await client.fetch("fire-and-forget", 0, 0n);
      return r.highWatermark === 2n && r;
    }, "both records");
    assert.deepEqual(
      decodeRecordSet(f.records!).flatMap((b) => b.records.map((r) => r.value!.toString())),
      ["x", "y"],
    );
  } finally {
    await client.close();
  }
});
