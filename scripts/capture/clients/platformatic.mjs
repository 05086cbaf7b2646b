// Drives @platformatic/kafka (devDependency) against a broker, for protocol capture.
//   node scripts/capture/clients/platformatic.mjs <bootstrap> <topic>
// admin createTopics/metadata/describeConfigs/listOffsets/deleteTopics, producer (acks, every
// compression, idempotent), consumer group with commits.
import zlib from "node:zlib";
import { Admin, Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from "@platformatic/kafka";

const [bootstrap, topic] = process.argv.slice(2);
const base = { bootstrapBrokers: [bootstrap] };

const admin = new Admin({ ...base, clientId: "platformatic-admin" });
const adminTopic = `${topic}-admin`;
await admin.createTopics({ topics: [adminTopic], partitions: 2, replicas: 1 });
await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
await admin.metadata({ topics: [adminTopic] });
await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: adminTopic }] });
await admin.describeConfigs({ resources: [{ resourceType: 4, resourceName: "1" }], includeSynonyms: true });

// @platformatic/kafka compresses zstd with node:zlib, which has zstd from Node.js 22 on
const codecs = ["none", "gzip", "snappy", "lz4", ...(typeof zlib.zstdCompressSync === "function" ? ["zstd"] : [])];
for (const compression of codecs) {
  const producer = new Producer({
    ...base,
    clientId: "platformatic-producer",
    serializers: stringSerializers,
    compression,
  });
  await producer.send({
    messages: [0, 1, 2].map((i) => ({
      topic,
      key: `${compression}-${i}`,
      value: `platformatic ${compression} ${i} `.repeat(5),
      headers: { h: `v${i}` },
    })),
  });
  await producer.close();
}
for (const acks of [ProduceAcks.LEADER, ProduceAcks.NO_RESPONSE]) {
  const producer = new Producer({
    ...base,
    clientId: "platformatic-acks",
    serializers: stringSerializers,
    acks,
    idempotent: false,
  });
  await producer.send({ messages: [{ topic, key: `acks${acks}`, value: `acks ${acks}` }] });
  await new Promise((r) => setTimeout(r, 200));
  await producer.close();
}
const idem = new Producer({
  ...base,
  clientId: "platformatic-idempotent",
  serializers: stringSerializers,
  idempotent: true,
});
await idem.send({ messages: [{ topic, key: "idem", value: "idempotent" }] });
await idem.close();

const consumer = new Consumer({
  ...base,
  groupId: "platformatic-group",
  clientId: "platformatic-consumer",
  deserializers: stringDeserializers,
  maxWaitTime: 200,
});
const stream = await consumer.consume({
  autocommit: false,
  topics: [topic],
  mode: "earliest",
  sessionTimeout: 10000,
  heartbeatInterval: 500,
});
let n = 0;
await new Promise((resolve) => {
  const timer = setTimeout(resolve, 20000);
  stream.on("data", async (message) => {
    n++;
    if (n === 5) {
      await message.commit();
      clearTimeout(timer);
      setTimeout(resolve, 1500);
    }
  });
});
await stream.close();
await consumer.close();

await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
await admin.listOffsets({
  topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: BigInt(Date.now() - 60000) }] }],
});
await admin.listConsumerGroupOffsets({ groups: ["platformatic-group"] });
await admin.deleteTopics({ topics: [adminTopic] });
await admin.close();
console.log(`platformatic: consumed ${n}`);
process.exit(n > 0 ? 0 : 1);
