// Drives KafkaJS (devDependency) against a broker, for protocol capture.
//   node scripts/capture/clients/kafkajs.mjs <bootstrap> <topic>
// admin createTopics/describeConfigs/fetchTopicOffsets/deleteTopics, producer (acks 0/1/-1, gzip,
// idempotent, transactional), consumer group with commits.
import kafkajs from "kafkajs";

const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = kafkajs;
const [bootstrap, topic] = process.argv.slice(2);
const kafka = new Kafka({ clientId: "kafkajs-capture", brokers: [bootstrap], logLevel: logLevel.ERROR });

const admin = kafka.admin();
await admin.connect();
const adminTopic = `${topic}-admin`;
await admin.createTopics({
  topics: [
    {
      topic: adminTopic,
      numPartitions: 2,
      replicationFactor: 1,
      configEntries: [{ name: "retention.ms", value: "3600000" }],
    },
  ],
  waitForLeaders: true,
});
await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
await admin.fetchTopicMetadata({ topics: [adminTopic] });
await admin.describeConfigs({
  resources: [{ type: ConfigResourceTypes.TOPIC, name: adminTopic }],
  includeSynonyms: false,
});
await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: "1" }], includeSynonyms: true });

const producer = kafka.producer({ allowAutoTopicCreation: true });
await producer.connect();
await producer.send({
  topic,
  acks: -1,
  messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `kafkajs value ${i}`, headers: { h: `v${i}` } })),
});
await producer.send({ topic, acks: 1, messages: [{ key: "acks1", value: "leader only" }] });
await producer.send({ topic, acks: 0, messages: [{ key: "acks0", value: "fire and forget" }] });
await producer.send({
  topic,
  compression: CompressionTypes.GZIP,
  messages: [0, 1, 2].map((i) => ({ key: `gz${i}`, value: `gzip ${i} `.repeat(10) })),
});
await producer.disconnect();

const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await idem.connect();
await idem.send({ topic, acks: -1, messages: [{ key: "idem", value: "idempotent" }] });
await idem.disconnect();

const txp = kafka.producer({ transactionalId: "kafkajs-txn", idempotent: true, maxInFlightRequests: 1 });
await txp.connect();
const tx = await txp.transaction();
await tx.send({ topic, messages: [{ key: "txn", value: "transactional" }] });
await tx.commit();
await txp.disconnect();

const consumer = kafka.consumer({
  groupId: "kafkajs-group",
  sessionTimeout: 10000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 200,
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let n = 0;
await new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, 20000);
  consumer
    .run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        n++;
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        if (n >= 5) {
          clearTimeout(timer);
          setTimeout(resolve, 1500); // leave time for a heartbeat
        }
      },
    })
    .catch(reject);
});
await consumer.disconnect();

await admin.fetchTopicOffsets(topic);
await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 60000);
await admin.fetchOffsets({ groupId: "kafkajs-group", topics: [topic] });
await admin.deleteTopics({ topics: [adminTopic] });
await admin.disconnect();
console.log(`kafkajs: consumed ${n}`);
process.exit(n > 0 ? 0 : 1);
