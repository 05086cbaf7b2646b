/**
 * One running agent with many component kinds: every source, channel and sink
 * updates Flume's counters, seen both in the monitoring JSON and in the shared
 * Prometheus registry.
 *
 *   http -> memory c_mem -> avro sink --(Avro RPC)--> avro source -> memory c_hold (no sink)
 *   seq -> file c_file -> file_roll + hdfs
 *   syslogtcp -> kafka channel c_kafka -> logger
 *   exec -> memory c_mem2 -> kafka sink (topic out) ; kafka source (topic out) -> c_hold
 *   tweets -> memory c_mem3 -> null
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import pino from "pino";
import { Agent } from "../../src/agent/runtime/agent.js";
import { monitoringSnapshot } from "../../src/agent/counters.js";
import { registry } from "../../src/metrics/registry.js";
import { parseProperties } from "../../src/formats/properties.js";
import { removeDir, tempDir } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";
import { embeddedTopics, waitFor } from "./io-helpers.js";

test("every component kind updates Flume's counters, in the monitoring JSON and in Prometheus", {
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  const topics = await embeddedTopics();
  const [httpPort, avroPort, syslogPort] = [await freePort(), await freePort(), await freePort()];
  const conf = `
m.sources = r_http r_avro r_seq r_syslog r_exec r_tweets r_kafka
m.channels = c_mem c_hold c_file c_kafka c_mem2 c_mem3
m.sinks = k_avro k_roll k_hdfs k_logger k_kafka k_null

m.sources.r_http.type = http
m.sources.r_http.bind = 127.0.0.1
m.sources.r_http.port = ${httpPort}
m.sources.r_http.channels = c_mem
m.channels.c_mem.type = memory
m.channels.c_mem.capacity = 1000
m.sinks.k_avro.type = avro
m.sinks.k_avro.channel = c_mem
m.sinks.k_avro.hostname = 127.0.0.1
m.sinks.k_avro.port = ${avroPort}
m.sources.r_avro.type = avro
m.sources.r_avro.bind = 127.0.0.1
m.sources.r_avro.port = ${avroPort}
m.sources.r_avro.channels = c_hold
m.channels.c_hold.type = memory
m.channels.c_hold.capacity = 200

m.sources.r_seq.type = seq
m.sources.r_seq.totalEvents = 100
m.sources.r_seq.channels = c_file
m.channels.c_file.type = file
m.channels.c_file.checkpointDir = ${join(dir, "ckpt")}
m.channels.c_file.dataDirs = ${join(dir, "data")}
m.channels.c_file.capacity = 1000
m.channels.c_file.transactionCapacity = 100
m.channels.c_file.minimumRequiredSpace = 1048576
m.sinks.k_roll.type = file_roll
m.sinks.k_roll.channel = c_file
m.sinks.k_roll.sink.directory = ${join(dir, "roll")}
m.sinks.k_hdfs.type = hdfs
m.sinks.k_hdfs.channel = c_file
m.sinks.k_hdfs.hdfs.path = ${join(dir, "hdfs")}

m.sources.r_syslog.type = syslogtcp
m.sources.r_syslog.host = 127.0.0.1
m.sources.r_syslog.port = ${syslogPort}
m.sources.r_syslog.channels = c_kafka
m.channels.c_kafka.type = kafka
m.channels.c_kafka.kafka.topic = mon-channel
m.channels.c_kafka.kafka.pollTimeout = 50
m.sinks.k_logger.type = logger
m.sinks.k_logger.channel = c_kafka

m.sources.r_exec.type = exec
m.sources.r_exec.command = seq 1 20
m.sources.r_exec.batchTimeout = 50
m.sources.r_exec.channels = c_mem2
m.channels.c_mem2.type = memory
m.sinks.k_kafka.type = kafka
m.sinks.k_kafka.channel = c_mem2
m.sinks.k_kafka.kafka.topic = out
m.sources.r_kafka.type = kafka
m.sources.r_kafka.kafka.topics = out
m.sources.r_kafka.kafka.consumer.auto.offset.reset = earliest
m.sources.r_kafka.batchDurationMillis = 50
m.sources.r_kafka.batchSize = 100
m.sources.r_kafka.channels = c_hold

m.sources.r_tweets.type = tweets
m.sources.r_tweets.eventsPerSecond = 0
m.sources.r_tweets.totalEvents = 30
m.sources.r_tweets.channels = c_mem3
m.channels.c_mem3.type = memory
m.sinks.k_null.type = null
m.sinks.k_null.channel = c_mem3
`;
  await topics.port.createTopic("out", { partitions: 1 });
  const agent = await Agent.start({
    name: "m",
    properties: parseProperties(conf, "m.conf"),
    logger: pino({ level: "silent" }),
    topics: async () => topics.view,
  });
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/`, {
      method: "POST",
      body: JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ headers: {}, body: `h${i}` }))),
    });
    assert.equal(res.status, 200);
    await new Promise<void>((resolve) => {
      const s = connect(syslogPort, "127.0.0.1", () =>
        s.end(Array.from({ length: 5 }, (_, i) => `<13>Oct 11 22:14:15 host msg${i}\n`).join("")),
      );
      s.on("close", () => resolve());
    });
    const num = (s: Record<string, Record<string, string>>, comp: string, key: string) => Number(s[comp]?.[key] ?? NaN);
    // c_hold gets the 10 http events (through avro) and the 20 exec lines (through kafka)
    const snap = await waitFor(
      () => {
        const s = monitoringSnapshot("m");
        return (
          num(s, "CHANNEL.c_hold", "ChannelSize") === 30 &&
          num(s, "SINK.k_roll", "EventDrainSuccessCount") + num(s, "SINK.k_hdfs", "EventDrainSuccessCount") === 100 &&
          num(s, "SINK.k_logger", "EventDrainSuccessCount") === 5 &&
          num(s, "SINK.k_null", "EventDrainSuccessCount") === 30
        );
      },
      "every event where it belongs",
      60_000,
    ).then(() => monitoringSnapshot("m"));

    const sources: [string, number][] = [
      ["r_http", 10],
      ["r_avro", 10],
      ["r_seq", 100],
      ["r_syslog", 5],
      ["r_exec", 20],
      ["r_tweets", 30],
      ["r_kafka", 20],
    ];
    for (const [name, n] of sources) {
      assert.equal(snap[`SOURCE.${name}`]?.Type, "SOURCE", name);
      assert.equal(num(snap, `SOURCE.${name}`, "EventReceivedCount"), n, `${name} EventReceivedCount`);
      assert.equal(num(snap, `SOURCE.${name}`, "EventAcceptedCount"), n, `${name} EventAcceptedCount`);
    }
    const channels: [string, number, number][] = [
      ["c_mem", 10, 10],
      ["c_hold", 30, 0],
      ["c_file", 100, 100],
      ["c_kafka", 5, 5],
      ["c_mem2", 20, 20],
      ["c_mem3", 30, 30],
    ];
    for (const [name, put, take] of channels) {
      assert.equal(num(snap, `CHANNEL.${name}`, "EventPutSuccessCount"), put, `${name} EventPutSuccessCount`);
      assert.equal(num(snap, `CHANNEL.${name}`, "EventTakeSuccessCount"), take, `${name} EventTakeSuccessCount`);
      assert.equal(num(snap, `CHANNEL.${name}`, "ChannelSize"), put - take, `${name} ChannelSize`);
    }
    assert.equal(num(snap, "CHANNEL.c_hold", "ChannelFillPercentage"), 15, "30 of 200");
    assert.equal(num(snap, "CHANNEL.c_file", "ChannelCapacity"), 1000);
    const sinks: [string, number][] = [
      ["k_avro", 10],
      ["k_logger", 5],
      ["k_kafka", 20],
      ["k_null", 30],
    ];
    for (const [name, n] of sinks)
      assert.equal(num(snap, `SINK.${name}`, "EventDrainSuccessCount"), n, `${name} EventDrainSuccessCount`);
    assert.ok(
      num(snap, "SINK.k_roll", "EventDrainSuccessCount") > 0 || num(snap, "SINK.k_hdfs", "EventDrainSuccessCount") > 0,
    );

    // the same numbers in the shared Prometheus registry
    const text = await registry.metrics();
    const prom = (metric: string, comp: string) => {
      const m = new RegExp(`^${metric}\\{agent="m",component="${comp}"\\} (\\S+)$`, "m").exec(text);
      return m ? Number(m[1]) : NaN;
    };
    for (const [name, n] of sources) {
      assert.equal(prom("millrace_agent_source_event_received_count", name), n, name);
      assert.equal(prom("millrace_agent_source_event_accepted_count", name), n, name);
    }
    for (const [name, put, take] of channels) {
      assert.equal(prom("millrace_agent_channel_event_put_success_count", name), put, name);
      assert.equal(prom("millrace_agent_channel_event_take_success_count", name), take, name);
      assert.equal(prom("millrace_agent_channel_channel_size", name), put - take, name);
    }
    assert.equal(prom("millrace_agent_channel_channel_fill_percentage", "c_hold"), 15);
    for (const [name, n] of sinks) assert.equal(prom("millrace_agent_sink_event_drain_success_count", name), n, name);
  } finally {
    await agent.stop();
    await topics.cleanup();
    removeDir(dir);
  }
});
