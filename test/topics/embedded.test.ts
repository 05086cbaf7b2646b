import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Consumer, MessagesStreamModes } from "@platformatic/kafka";
import { LogManager } from "../../src/log/index.js";
import { GroupCoordinator } from "../../src/coordinator/groups/index.js";
import { OffsetsTopicStore } from "../../src/coordinator/offsets-topic.js";
import { ProducerIdManager, ProducerStateManager } from "../../src/coordinator/producers/index.js";
import { EmbeddedTopics } from "../../src/topics/embedded.js";
import { openTopics } from "../../src/topics/index.js";
import { KafkaClient } from "../../src/client/client.js";
import { GroupAdmin } from "../../src/client/groups.js";
import { tempDir, removeDir, startBroker } from "../helpers/broker.js";
import { topicsPortContract, splitsExactly, waitFor, FAST, key } from "./contract.js";

topicsPortContract("embedded", async () => {
  const dir = tempDir();
  const log = await LogManager.open({ dir });
  const store = new OffsetsTopicStore(log, { partitions: 3 });
  const groups = new GroupCoordinator({
    store,
    config: { offsetsTopicNumPartitions: store.partitions, groupInitialRebalanceDelayMs: 0 },
  });
  await groups.load();
  const producerIds = await ProducerIdManager.open({ dir });
  const producers = new ProducerStateManager(log);
  await producers.load();
  return {
    port: new EmbeddedTopics({ log, groups, producers, producerIds }),
    async cleanup() {
      await groups.close();
      await producers.close();
      await log.close();
      removeDir(dir);
    },
  };
});

// The standalone port (EmbeddedTopics.open / openTopics) passes the same contract.
topicsPortContract("embedded standalone", async () => {
  const dir = tempDir();
  const port = await openTopics({
    embedded: { dataDir: dir, groups: { groupInitialRebalanceDelayMs: 0, offsetsTopicNumPartitions: 3 } },
  });
  return { port, cleanup: async () => removeDir(dir) };
});

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

test("embedded standalone: records, committed offsets and groups survive close and reopen", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const groups = { groupInitialRebalanceDelayMs: 0, offsetsTopicNumPartitions: 3 };
  const first = await EmbeddedTopics.open({ dataDir: dir, groups });
  await first.createTopic("keep", { partitions: 2 });
  await first.produce("keep", 1, [{ value: "x" }, { value: "y" }]);
  const m = await first.joinGroup("keepers", ["keep"], FAST);
  await m.commit([{ topic: "keep", partition: 1, offset: 2n }]);
  await first.close();
  await assert.rejects(first.joinGroup("keepers", ["keep"], FAST), { code: "MR_TOPICS_CLOSED" });

  const second = await openTopics({ embedded: { dataDir: dir, groups } });
  try {
    assert.deepEqual(
      (await second.fetch("keep", 1, 0n)).records.map((r) => r.value?.toString()),
      ["x", "y"],
    );
    assert.deepEqual(
      (await second.fetchOffsets("keepers", ["keep"])).map((o) => [o.partition, o.offset]),
      [[1, 2n]],
    );
    // the same directory is a broker's log dir: the broker sees the topic and the group's offsets
  } finally {
    await second.close();
  }
  const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3" }, dir);
  try {
    const viaBroker = tb.broker.embeddedTopics();
    assert.deepEqual(
      (await viaBroker.fetchOffsets("keepers", ["keep"])).map((o) => [o.partition, o.offset]),
      [[1, 2n]],
    );
    assert.equal((await viaBroker.describeTopic("keep"))?.partitions, 2);
    await viaBroker.close();
  } finally {
    await tb.stop();
  }
});

test("openTopics: rejects a spec without dataDir or bootstrap servers", async () => {
  await assert.rejects(openTopics({ embedded: { dataDir: "" } }), { code: "MR_TOPICS_SPEC" });
  await assert.rejects(openTopics({ bootstrapServers: " " }), { code: "MR_TOPICS_SPEC" });
  await assert.rejects(openTopics({} as never), { code: "MR_TOPICS_SPEC" });
});

test("embedded produce goes through the broker's validation (max.message.bytes, unknown partitions)", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const port = await EmbeddedTopics.open({ dataDir: dir });
  try {
    await port.createTopic("small", { partitions: 1, configs: { "max.message.bytes": "200" } });
    await assert.rejects(
      port.produce("small", 0, [{ value: Buffer.alloc(1000, 1) }]),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "MR_TOPICS_PRODUCE");
        assert.match(e.message, /TOO_LARGE/);
        return true;
      },
    );
    assert.equal(await port.produce("small", 0, [{ value: "ok" }]), 0n);
    await assert.rejects(port.produce("small", 3, [{ value: "x" }]), { code: "MR_TOPICS_UNKNOWN_PARTITION" });
  } finally {
    await port.close();
  }
});

test(
  "broker.embeddedTopics(): an embedded member and a Kafka client (@platformatic/kafka) share one " + "group",
  async () => {
    const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
    dirs.push(tb.dir);
    const port = tb.broker.embeddedTopics();
    const consumer = new Consumer({
      clientId: "millrace-test-mixed-group",
      bootstrapBrokers: [tb.bootstrap],
      groupId: "mixed",
      sessionTimeout: 6000,
      heartbeatInterval: 200,
      rebalanceTimeout: 20_000,
    });
    const admin = await KafkaClient.connect(tb.bootstrap);
    const groups = new GroupAdmin(admin);
    try {
      await port.createTopic("shared", { partitions: 4 });
      for (let p = 0; p < 4; p++) await port.produce("shared", p, [{ value: `r${p}` }]);
      const member = await port.joinGroup("mixed", ["shared"], FAST);
      assert.equal(member.assignment().length, 4);

      // the Kafka client offers only "roundrobin": the group agrees on it, whoever leads
      const stream = await consumer.consume({
        topics: ["shared"],
        mode: MessagesStreamModes.EARLIEST,
        maxWaitTime: 200,
      });
      stream.on("data", () => {});
      const client = {
        assignment: () =>
          (consumer.assignments ?? []).flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))),
      };
      await waitFor(
        () => splitsExactly([member, client], "shared", 4),
        "the embedded member and the Kafka client to split 'shared'",
      );
      assert.equal(member.assignment().length, 2);

      // what `millrace consumer-groups --describe` shows: both members and their (decoded) assignments
      let described = await groups.describeGroup("mixed");
      await waitFor(async () => {
        described = await groups.describeGroup("mixed");
        return described.state === "Stable";
      }, "the group to be Stable");
      assert.equal(described.protocol, "roundrobin");
      assert.equal(described.members.length, 2);
      const embedded = described.members.find((m) => m.memberId === member.memberId);
      assert.ok(embedded, "the embedded member is listed");
      assert.deepEqual(
        embedded.assignment.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`)).sort(),
        member.assignment().map(key).sort(),
      );

      // the Kafka client leaves: the embedded member takes all four partitions
      await stream.close();
      await consumer.close();
      await waitFor(() => member.assignment().length === 4, "the embedded member to own all of 'shared'");
      await member.leave();
    } finally {
      groups.close();
      await admin.close();
      await consumer.close().catch(() => {});
      await port.close();
      await tb.stop();
    }
  },
);

test(
  "broker.embeddedTopics(): idempotent produce goes through the broker's producer state; without it, it is " +
    "refused",
  async () => {
    const tb = await startBroker();
    dirs.push(tb.dir);
    const port = tb.broker.embeddedTopics();
    try {
      await port.createTopic("idem", { partitions: 1 });
      await port.produce("idem", 0, [{ value: "a" }, { value: "b" }], { idempotent: true });
      await port.produce("idem", 0, [{ value: "c" }], { idempotent: true });
      const state = tb.broker.producers.forPartition("idem", 0)!;
      assert.equal(state.size, 1, "one producer id recorded by the broker's producer state");
      const [entry] = state.entries();
      assert.ok(entry.producerId >= 0n);
    } finally {
      await port.close();
      await tb.stop();
    }
    const dir = tempDir();
    dirs.push(dir);
    const log = await LogManager.open({ dir });
    const bare = new EmbeddedTopics({ log });
    try {
      await bare.createTopic("t", { partitions: 1 });
      await assert.rejects(bare.produce("t", 0, [{ value: "x" }], { idempotent: true }), {
        code: "MR_TOPICS_NO_IDEMPOTENCE",
      });
      assert.equal(await bare.produce("t", 0, [{ value: "x" }]), 0n);
    } finally {
      await bare.close();
      await log.close();
    }
  },
);
