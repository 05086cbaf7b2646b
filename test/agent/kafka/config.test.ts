import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createKafkaChannel } from "../../../src/agent/channels/kafka.js";
import { createKafkaSink } from "../../../src/agent/sinks/kafka.js";
import { createKafkaSource } from "../../../src/agent/sources/kafka.js";
import { findChannel, findSink, findSource } from "../../../src/agent/registry.js";
import { registerBuiltins } from "../../../src/agent/builtin.js";
import { env } from "../io-helpers.js";

registerBuiltins();

test("kafka channel: Flume's defaults, ZooKeeper keys ignored with a warning, unknown kafka.* keys left for the unsupported report", () => {
  const warnings: string[] = [];
  const logger = pino({ level: "warn" }, { write: (s: string) => warnings.push(JSON.parse(s).msg) });
  const ctx = Context.of({
    migrateZookeeperOffsets: "true",
    "kafka.producer.linger.ms": "5",
    "kafka.consumer.max.poll.records": "10",
    "kafka.producer.acks": "1",
  });
  const ch = createKafkaChannel("c1", ctx, { agentName: "a1", logger });
  assert.equal(ch.options.topic, "flume-channel");
  assert.equal(ch.options.groupId, "flume");
  assert.equal(ch.options.parseAsFlumeEvent, true);
  assert.equal(ch.options.offsetReset, "latest");
  assert.equal(ch.options.acks, 1);
  assert.ok(warnings.some((w) => /migrateZookeeperOffsets is ignored/.test(w)));
  assert.deepEqual(ctx.unusedKeys().sort(), ["kafka.consumer.max.poll.records", "kafka.producer.linger.ms"]);
  assert.throws(
    () => createKafkaChannel("c1", Context.of({ "kafka.producer.acks": "2" }), env()),
    /kafka.producer.acks must be 0, 1, -1 or all/,
  );
});

test("kafka sink and source: Flume's defaults and required keys", () => {
  const sink = createKafkaSink("k1", Context.of({}), env());
  assert.equal(sink.options.topic, "default-flume-topic");
  assert.equal(sink.options.batchSize, 100);
  assert.equal(sink.options.acks, 1);
  assert.equal(sink.options.allowTopicOverride, true);
  assert.equal(sink.options.topicHeader, "topic");
  assert.throws(() => createKafkaSource("r1", Context.of({}), env()), /kafka.topics is required/);
  const src = createKafkaSource("r1", Context.of({ "kafka.topics": "a, b" }), env());
  assert.deepEqual(src.options.topics, ["a", "b"]);
  assert.equal(src.options.batchSize, 1000);
  assert.equal(src.options.offsetReset, "earliest");
  assert.throws(
    () => createKafkaSource("r1", Context.of({ "kafka.topics.regex": "(" }), env()),
    /kafka.topics.regex is not a valid regular expression/,
  );
});

test("registered under Flume's aliases and class names", () => {
  assert.ok(findChannel("org.apache.flume.channel.kafka.KafkaChannel"));
  assert.ok(findSink("org.apache.flume.sink.kafka.KafkaSink"));
  assert.ok(findSource("org.apache.flume.source.kafka.KafkaSource"));
  for (const t of ["syslogtcp", "syslogudp", "multiport_syslogtcp", "avro", "kafka"]) assert.ok(findSource(t), t);
  assert.ok(findSink("avro") && findSink("org.apache.flume.sink.AvroSink"));
});
