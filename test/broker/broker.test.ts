import { test, after } from "node:test";
import assert from "node:assert/strict";
import { KafkaClient } from "../../src/client/client.js";
import { KafkaConnection } from "../../src/client/connection.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { encodeBatch, decodeRecordSet } from "../../src/protocol/records/records.js";
import { CompressionType } from "../../src/protocol/records/batch.js";
import { startBroker, removeDir, tempDir } from "../helpers/broker.js";

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

function values(records: Buffer | null): string[] {
  if (!records) return [];
  return decodeRecordSet(records).flatMap((b) => b.records.map((r) => r.value!.toString()));
}

test("produce, fetch, list offsets and describe over real sockets, and the data survives a restart", async () => {
  const dir = tempDir();
  dirs.push(dir);
  let tb = await startBroker({ "num.partitions": "2" }, dir);
  let client = await KafkaClient.connect(tb.bootstrap);
  const created = await client.createTopic("events", 3, { "retention.ms": "86400000" });
  assert.equal(created.numPartitions, 3);
  const [meta] = await client.metadata(["events"]);
  assert.equal(meta.partitions.length, 3);

  const t0 = Date.now();
  const b1 = encodeBatch({
    records: [
      { key: "k1", value: "a", timestamp: t0 },
      { key: "k2", value: "b", timestamp: t0 + 1 },
    ],
  });
  const b2 = encodeBatch({ records: [{ value: "c", timestamp: t0 + 10_000 }], compression: CompressionType.Gzip });
  assert.equal(await client.produce("events", 1, b1, 1), 0n);
  assert.equal(await client.produce("events", 1, b2, -1), 2n);

  const f = await client.fetch("events", 1, 0n);
  assert.deepEqual(values(f.records), ["a", "b", "c"]);
  assert.equal(f.highWatermark, 3n);
  const f2 = await client.fetch("events", 1, 2n);
  assert.deepEqual(values(f2.records), ["c"]);

  assert.equal(await client.listOffset("events", 1, -2n), 0n);
  assert.equal(await client.listOffset("events", 1, -1n), 3n);
  assert.equal(await client.listOffset("events", 1, BigInt(t0 + 5000)), 2n);
  assert.equal(await client.listOffset("events", 1, BigInt(t0 + 50_000)), -1n);
  // by timestamp at record precision, inside a batch
  assert.equal(await client.listOffset("events", 1, BigInt(t0 + 1)), 1n);

  const configs = await client.describeConfigs(2, "events");
  const retention = configs.find((c) => c.name === "retention.ms");
  assert.equal(retention?.value, "86400000");
  assert.equal(retention?.configSource, 1);
  const brokerConfigs = await client.describeConfigs(4, String(tb.broker.config.nodeId));
  assert.equal(brokerConfigs.find((c) => c.name === "num.partitions")?.value, "2");

  // auto-creation through Metadata uses num.partitions
  const [auto] = await client.metadata(["auto-made"], true);
  assert.equal(auto.errorCode, 0);
  assert.equal(auto.partitions.length, 2);

  await client.close();
  await tb.stop();

  tb = await startBroker({}, dir);
  client = await KafkaClient.connect(tb.bootstrap);
  const again = await client.fetch("events", 1, 0n);
  assert.deepEqual(values(again.records), ["a", "b", "c"]);
  assert.equal(await client.produce("events", 1, encodeBatch({ records: [{ value: "d" }] }), -1), 3n);
  await client.deleteTopic("events");
  const [gone] = await client.metadata(["events"]);
  assert.equal(gone.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await client.close();
  await tb.stop();
});

test("a fetch waits for data up to max wait and is woken by an append", async () => {
  const tb = await startBroker();
  dirs.push(tb.dir);
  const client = await KafkaClient.connect(tb.bootstrap);
  await client.createTopic("lp", 1);
  const waiting = client.fetch("lp", 0, 0n, { maxWaitMs: 20_000, minBytes: 1 });
  const producer = await KafkaClient.connect(tb.bootstrap);
  await new Promise((r) => setTimeout(r, 50));
  await producer.produce("lp", 0, encodeBatch({ records: [{ value: "wake" }] }), 1);
  const res = await waiting;
  assert.deepEqual(values(res.records), ["wake"]);
  // an empty fetch with a short wait returns empty
  const empty = await client.fetch("lp", 0, 1n, { maxWaitMs: 10 });
  assert.equal(empty.records, null);
  await producer.close();
  await client.close();
  await tb.stop();
});

test("protocol errors: unknown topic, bad acks, replication factor, offset out of range", async () => {
  const tb = await startBroker({ "auto.create.topics.enable": "false" });
  dirs.push(tb.dir);
  const conn = await KafkaConnection.open(tb.bootstrap);
  const res = await conn.request(ApiKey.Produce, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: "nope", partitionData: [{ index: 0, records: encodeBatch({ records: [{ value: "x" }] }) }] }],
  });
  assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const md = await conn.request(ApiKey.Metadata, { topics: [{ name: "nope" }], allowAutoTopicCreation: true });
  assert.equal(md.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  const client = await KafkaClient.connect(tb.bootstrap);
  await client.createTopic("t", 1);
  const bad = await conn.request(ApiKey.Produce, {
    transactionalId: null,
    acks: 2,
    timeoutMs: 1000,
    topicData: [{ name: "t", partitionData: [{ index: 0, records: encodeBatch({ records: [{ value: "x" }] }) }] }],
  });
  assert.equal(bad.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  await assert.rejects(client.createTopic("rf", 1, {}, 3), /INVALID_REPLICATION_FACTOR/);
  await assert.rejects(client.createTopic("t", 1), /TOPIC_ALREADY_EXISTS/);
  await assert.rejects(client.createTopic("bad/name", 1), /INVALID_TOPIC_EXCEPTION/);
  await assert.rejects(client.fetch("t", 0, 5n), /OFFSET_OUT_OF_RANGE/);
  conn.close();
  await client.close();
  await tb.stop();
});

test("ApiVersions advertises exactly the implemented APIs and answers unknown versions with v0", async () => {
  const tb = await startBroker();
  dirs.push(tb.dir);
  after(() => tb.stop());
  const conn = await KafkaConnection.open(tb.bootstrap);
  const res = await conn.send(ApiKey.ApiVersions, 3, { clientSoftwareName: "test", clientSoftwareVersion: "1" });
  const table = Object.fromEntries(
    (res.apiKeys as { apiKey: number; minVersion: number; maxVersion: number }[]).map((a) => [
      a.apiKey,
      [a.minVersion, a.maxVersion],
    ]),
  );
  assert.deepEqual(table, {
    [ApiKey.Produce]: [0, 9],
    [ApiKey.Fetch]: [4, 17],
    [ApiKey.ListOffsets]: [0, 7],
    [ApiKey.Metadata]: [0, 12],
    [ApiKey.ApiVersions]: [0, 3],
    [ApiKey.CreateTopics]: [0, 7],
    [ApiKey.DeleteTopics]: [0, 6],
    [ApiKey.DescribeConfigs]: [0, 4],
    [ApiKey.InitProducerId]: [0, 4],
    [ApiKey.FindCoordinator]: [0, 4],
    [ApiKey.JoinGroup]: [0, 7],
    [ApiKey.SyncGroup]: [0, 5],
    [ApiKey.Heartbeat]: [0, 4],
    [ApiKey.LeaveGroup]: [0, 5],
    [ApiKey.OffsetCommit]: [0, 8],
    [ApiKey.OffsetFetch]: [1, 8],
    [ApiKey.ListGroups]: [0, 4],
    [ApiKey.DescribeGroups]: [0, 5],
    [ApiKey.DeleteGroups]: [0, 2],
    [ApiKey.OffsetDelete]: [0, 0],
    [ApiKey.SaslHandshake]: [0, 1],
    [ApiKey.SaslAuthenticate]: [0, 2],
  });
  conn.close();
  await tb.stop();
});

test(
  "idempotent producer: InitProducerId, retries deduplicated, gaps and stale epochs rejected, state survives " +
    "a restart",
  async () => {
    const dir = tempDir();
    dirs.push(dir);
    let tb = await startBroker({}, dir);
    let conn = await KafkaConnection.open(tb.bootstrap);
    const client = await KafkaClient.connect(tb.bootstrap);
    await client.createTopic("idem", 1);
    await client.close();
    const init = await conn.request(ApiKey.InitProducerId, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.equal(init.errorCode, 0);
    const pid: bigint = init.producerId;
    const epoch: number = init.producerEpoch;
    const produce = async (c: KafkaConnection, seq: number, value: string, e = epoch) => {
      const res = await c.request(ApiKey.Produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [
          {
            name: "idem",
            partitionData: [
              {
                index: 0,
                records: encodeBatch({ records: [{ value }], producerId: pid, producerEpoch: e, baseSequence: seq }),
              },
            ],
          },
        ],
      });
      return res.responses[0].partitionResponses[0];
    };
    assert.equal((await produce(conn, 0, "a")).baseOffset, 0n);
    assert.equal((await produce(conn, 1, "b")).baseOffset, 1n);
    const retry = await produce(conn, 1, "b");
    assert.equal(retry.errorCode, ErrorCode.NONE);
    assert.equal(retry.baseOffset, 1n);
    assert.equal((await produce(conn, 5, "gap")).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    conn.close();
    await tb.stop();

    tb = await startBroker({}, dir);
    conn = await KafkaConnection.open(tb.bootstrap);
    const again = await produce(conn, 1, "b");
    assert.equal(again.baseOffset, 1n, "a retry after a restart is still recognised");
    assert.equal((await produce(conn, 2, "c")).baseOffset, 2n);
    const second = await conn.request(ApiKey.InitProducerId, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.ok(second.producerId > pid, "producer ids are not reused after a restart");
    const reader = await KafkaClient.connect(tb.bootstrap);
    assert.deepEqual(values((await reader.fetch("idem", 0, 0n)).records), ["a", "b", "c"]);
    await reader.close();
    conn.close();
    await tb.stop();
  },
);
