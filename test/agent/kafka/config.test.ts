import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createKafkaChannel } from "../../../src/agent/channels/kafka.js";
import { createKafkaSink } from "../../../src/agent/sinks/kafka.js";
import { createKafkaSource } from "../../../src/agent/sources/kafka.js";
import { findChannel, findSink, findSource } from "../../../src/agent/registry.js";
import { registerBuiltins } from "../../../src/agent/builtin.js";
import { env, env as envOf } from "../io-helpers.js";
import type { TopicsPort } from "../../../src/topics/port.js";
import { parseAgentConfig } from "../../../src/agent/config/config.js";
import { parseProperties } from "../../../src/formats/properties.js";

registerBuiltins();

/** an agent inside a pipeline (millrace demo/run): the embedded broker is the default */
const inPipeline = { topics: async () => ({}) as TopicsPort };

test(
  "kafka channel: Flume's defaults, ZooKeeper keys warned as having no effect, unknown kafka.* " +
    "keys left for the unsupported report",
  () => {
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (s: string) => warnings.push(JSON.parse(s).msg) });
    const ctx = Context.of({
      migrateZookeeperOffsets: "true",
      "kafka.producer.linger.ms": "5",
      "kafka.consumer.max.poll.records": "10",
      "kafka.producer.acks": "1",
    });
    const ch = createKafkaChannel("c1", ctx, { agentName: "a1", logger, ...inPipeline });
    assert.equal(ch.options.topic, "flume-channel");
    assert.equal(ch.options.groupId, "flume");
    assert.equal(ch.options.parseAsFlumeEvent, true);
    assert.equal(ch.options.offsetReset, "latest");
    assert.equal(ch.options.acks, 1);
    assert.ok(warnings.some((w) => /migrateZookeeperOffsets has no effect: there is no ZooKeeper/.test(w)));
    assert.deepEqual(ctx.unusedKeys().sort(), ["kafka.consumer.max.poll.records", "kafka.producer.linger.ms"]);
    assert.throws(
      () => createKafkaChannel("c1", Context.of({ "kafka.producer.acks": "2" }), { ...env(), ...inPipeline }),
      /kafka.producer.acks must be 0, 1, -1 or all/,
    );
  },
);

test("kafka sink and source: Flume's defaults and required keys", () => {
  const env = () => ({ ...envOf(), ...inPipeline });
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

function capture(): { logger: pino.Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, logger: pino({ level: "warn" }, { write: (s: string) => warnings.push(JSON.parse(s).msg) }) };
}

/** the Context of component `kind.name` of agent a1 parsed from `lines` (file t.conf) */
function ctxFrom(lines: string[], kind: "channels" | "sources" | "sinks"): Context {
  const c = parseAgentConfig(parseProperties(lines.join("\n"), "t.conf"), "a1");
  const all = [...c.channels, ...c.sources, ...c.sinks];
  return all.find((x) => x.ctx.prefix.startsWith(`a1.${kind}.`))!.ctx;
}

const CHANNEL_ONLY = ["a1.channels = c1", "a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel"];

test(
  "kafka channel: Flume 1.7-1.11's brokerList, topic, groupId, readSmallestOffset translated, " +
    "each warned once with file:line",
  () => {
    const { logger, warnings } = capture();
    const lines = [
      ...CHANNEL_ONLY,
      "a1.channels.c1.brokerList = 127.0.0.1:9092",
      "a1.channels.c1.topic = twitter",
      "a1.channels.c1.groupId = g1",
      "a1.channels.c1.readSmallestOffset = true",
      "a1.channels.c1.zookeeperConnect = zk:2181",
    ];
    const ch = createKafkaChannel("c1", ctxFrom(lines, "channels"), { agentName: "a1", logger });
    assert.equal(ch.options.topic, "twitter");
    assert.equal(ch.options.groupId, "g1");
    assert.equal(ch.options.offsetReset, "earliest");
    const expected = [
      "t.conf:3: a1.channels.c1.brokerList is deprecated: use a1.channels.c1.kafka.bootstrap.servers",
      "t.conf:4: a1.channels.c1.topic is deprecated: use a1.channels.c1.kafka.topic",
      "t.conf:5: a1.channels.c1.groupId is deprecated: use a1.channels.c1.kafka.consumer.group.id",
      "t.conf:6: a1.channels.c1.readSmallestOffset is deprecated: use a1.channels.c1.kafka.consumer.auto.offset.reset",
      "t.conf:7: a1.channels.c1.zookeeperConnect has no effect: there is no ZooKeeper",
    ];
    for (const e of expected) assert.equal(warnings.filter((w) => w.startsWith(e)).length, 1, `${e} in ${warnings}`);
    // a second build (a reload) does not warn again
    createKafkaChannel("c1", ctxFrom(lines, "channels"), { agentName: "a1", logger });
    for (const e of expected) assert.equal(warnings.filter((w) => w.startsWith(e)).length, 1, e);
    // readSmallestOffset = false is latest
    const late = createKafkaChannel(
      "c1",
      ctxFrom(
        [...CHANNEL_ONLY, "a1.channels.c1.brokerList = h:1", "a1.channels.c1.readSmallestOffset = false"],
        "channels",
      ),
      { agentName: "a1", logger },
    );
    assert.equal(late.options.offsetReset, "latest");
  },
);

test("kafka channel, source and sink: the new name wins over the old one, as in Flume", async () => {
  const { logger, warnings } = capture();
  const e = { agentName: "a1", logger };
  const ch = createKafkaChannel(
    "c1",
    Context.of({
      brokerList: "old:1",
      "kafka.bootstrap.servers": "new:1",
      topic: "old",
      "kafka.topic": "new",
      groupId: "old",
      "kafka.consumer.group.id": "new",
      readSmallestOffset: "true",
      "kafka.consumer.auto.offset.reset": "latest",
    }),
    e,
  );
  assert.deepEqual([ch.options.topic, ch.options.groupId, ch.options.offsetReset], ["new", "new", "latest"]);
  assert.ok(
    warnings.some((w) => /test\.brokerList is deprecated \(use test\.kafka\.bootstrap\.servers\); ignored/.test(w)),
  );
  const sink = createKafkaSink(
    "k1",
    Context.of(
      {
        brokerList: "b:1",
        topic: "t-old",
        batchSize: "7",
        requiredAcks: "-1",
        "serializer.class": "kafka.serializer.DefaultEncoder",
      },
      "sk",
    ),
    e,
  );
  assert.deepEqual([sink.options.topic, sink.options.batchSize, sink.options.acks], ["t-old", 7, -1]);
  assert.ok(warnings.some((w) => /sk\.serializer\.class has no effect/.test(w)));
  const sink2 = createKafkaSink(
    "k2",
    Context.of({
      "kafka.bootstrap.servers": "b:1",
      "kafka.topic": "t",
      topic: "x",
      flumeBatchSize: "9",
      batchSize: "7",
    }),
    e,
  );
  assert.deepEqual([sink2.options.topic, sink2.options.batchSize], ["t", 9]);
  const src = createKafkaSource(
    "r1",
    Context.of(
      { "kafka.bootstrap.servers": "b:1", topic: "old", groupId: "g-old", migrateZookeeperOffsets: "false" },
      "sr",
    ),
    e,
  );
  assert.deepEqual([src.options.topics, src.options.groupId], [["old"], "g-old"]);
  assert.ok(warnings.some((w) => /sr\.topic is deprecated: use sr\.kafka\.topics/.test(w)));
  assert.ok(warnings.some((w) => /sr\.migrateZookeeperOffsets has no effect/.test(w)));
  const src2 = createKafkaSource(
    "r2",
    Context.of({
      "kafka.bootstrap.servers": "b:1",
      topic: "old",
      "kafka.topics.regex": "n.*",
      groupId: "g",
      "kafka.consumer.group.id": "n",
    }),
    e,
  );
  assert.ok(src2.options.topics instanceof RegExp);
  assert.equal(src2.options.groupId, "n");
});

test(
  "a standalone agent's kafka channel, " + "source or sink that names no broker is a config error naming file:line:key",
  () => {
    const { logger } = capture();
    const standalone = { agentName: "a1", logger };
    assert.throws(
      () =>
        createKafkaChannel("c1", ctxFrom([...CHANNEL_ONLY, "a1.channels.c1.topic = twitter"], "channels"), standalone),
      (err: Error & { code?: string }) =>
        err.code === "MR_CONFIG_INVALID" &&
        err.message.startsWith(
          "t.conf:2: a1.channels.c1.kafka.bootstrap.servers is not set: channel c1 names no Kafka broker",
        ),
    );
    assert.throws(
      () =>
        createKafkaChannel(
          "c1",
          ctxFrom([...CHANNEL_ONLY, "a1.channels.c1.kafka.bootstrap.servers = embedded"], "channels"),
          standalone,
        ),
      new RegExp(
        [
          "^ConfigError: t\\.conf:3: a1\\.channels\\.c1\\.kafka\\.bootstrap\\.servers is ",
          '"embedded", but this standalone agent has no embedded broker',
        ].join(""),
      ),
    );
    const src = [
      "a1.sources = r1",
      "a1.channels = c1",
      "a1.channels.c1.type = memory",
      "a1.sources.r1.channels = c1",
      "a1.sources.r1.type = kafka",
      "a1.sources.r1.kafka.topics = t",
      "a1.sources.r1.zookeeperConnect = zk:2181",
    ];
    assert.throws(
      () => createKafkaSource("r1", ctxFrom(src, "sources"), standalone),
      /t\.conf:5: a1\.sources\.r1\.kafka\.bootstrap\.servers is not set: source r1 names no Kafka broker/,
    );
    const sink = [
      "a1.sinks = k1",
      "a1.channels = c1",
      "a1.channels.c1.type = memory",
      "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink",
    ];
    assert.throws(
      () => createKafkaSink("k1", ctxFrom(sink, "sinks"), standalone),
      /t\.conf:5: a1\.sinks\.k1\.kafka\.bootstrap\.servers is not set: sink k1 names no Kafka broker/,
    );
    // with brokerList, the article's old name, it has one
    const ok = createKafkaChannel(
      "c1",
      ctxFrom([...CHANNEL_ONLY, "a1.channels.c1.brokerList = 127.0.0.1:9092"], "channels"),
      standalone,
    );
    assert.equal(ok.options.topic, "flume-channel");
  },
);
