/**
 * millrace's agent and streaming engine against the REAL Apache Kafka 3.9.2 broker
 * (KRaft, started by test/interop/tooling/kafka.sh):
 *  - a `millrace agent` process (seq source → memory channel → kafka sink with
 *    kafka.bootstrap.servers = the Kafka broker) produces N events;
 *  - a millrace streaming app (createDirectStream with bootstrapServers = the Kafka
 *    broker, i.e. the remote TopicsPort; maxRatePerPartition spreads them over several
 *    batches) counts records per batch and commits each
 *    batch's offset ranges to a consumer group;
 *  - every event is read exactly once, and Kafka's own kafka-consumer-groups --describe
 *    shows the group's committed offsets at the log end (zero lag).
 *
 * Assertions are on records and offsets, never on timings.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";
import { waitFor } from "../streaming/helpers.js";
import { REPO_ROOT, assertPresent, needs, run, tail } from "./helpers.js";
import { SCRIPT, fetchJvmTool, kafkaTool, missingJvmTool, parseGroupDescribe } from "./jvm-tools.js";
import { StreamingContext } from "../../src/streaming/context.js";
import { KafkaUtils } from "../../src/streaming/kafka.js";
import { stringDecoder } from "../../src/formats/decoders.js";

const missing = missingJvmTool("kafka");
const T = 600_000;
const N = 3000;
const TOPIC = "agent-events";
const GROUP = "millrace-streaming-real-kafka";

let dir = "";
let bootstrap = "";
let kafkaStarted = false;

before(async () => {
  if (missing) return;
  dir = tempDir("millrace-real-kafka-");
  await fetchJvmTool("kafka");
  const port = await freePort();
  const r = await run("bash", [SCRIPT.kafka, "start", String(port), join(dir, "kafka")], { timeoutMs: 180_000 });
  if (r.code !== 0) assert.fail(`kafka.sh start exited ${r.code}:\n${tail(r.stderr)}`);
  kafkaStarted = true;
  bootstrap = `127.0.0.1:${port}`;
});

after(async () => {
  if (kafkaStarted) await run("bash", [SCRIPT.kafka, "stop", join(dir, "kafka")], { timeoutMs: 120_000 });
  if (dir) removeDir(dir);
});

function startAgent(confFile: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["bin/millrace.js", "agent", "-n", "a1", "-f", confFile, "--no-reload-conf"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" },
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

test(
  "millrace agent → Apache Kafka → millrace streaming: every record exactly once, zero lag in Kafka's own group view",
  needs(missing, T),
  async () => {
    assertPresent(missing);
    await kafkaTool("topics", [
      "--bootstrap-server",
      bootstrap,
      "--create",
      "--topic",
      TOPIC,
      "--partitions",
      "3",
      "--replication-factor",
      "1",
    ]);

    const conf = join(dir, "agent.properties");
    writeFileSync(
      conf,
      [
        "a1.sources = r1",
        "a1.channels = c1",
        "a1.sinks = k1",
        "a1.sources.r1.type = seq",
        `a1.sources.r1.totalEvents = ${N}`,
        "a1.sources.r1.batchSize = 100",
        "a1.sources.r1.channels = c1",
        "a1.channels.c1.type = memory",
        "a1.channels.c1.capacity = 10000",
        "a1.channels.c1.transactionCapacity = 1000",
        "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink",
        `a1.sinks.k1.kafka.bootstrap.servers = ${bootstrap}`,
        `a1.sinks.k1.kafka.topic = ${TOPIC}`,
        "a1.sinks.k1.kafka.producer.acks = -1",
        "a1.sinks.k1.flumeBatchSize = 100",
        "a1.sinks.k1.channel = c1",
        "",
      ].join("\n"),
    );

    // The streaming app: remote TopicsPort on the Kafka broker, one consumer group.
    const ssc = new StreamingContext({ appName: "real-kafka-count", batchInterval: 500, master: "local[2]" });
    const stream = KafkaUtils.createDirectStream(ssc, {
      bootstrapServers: bootstrap,
      topics: [TOPIC],
      groupId: GROUP,
      startingOffsets: "earliest",
      valueDecoder: stringDecoder,
      maxRatePerPartition: 1000,
    });
    const seen: string[] = [];
    const perBatch: number[] = [];
    let committedThrough = 0;
    stream.foreachRDD(async (rdd) => {
      const ranges = KafkaUtils.offsetRanges(rdd);
      const values = (await rdd.collect()).map((r) => r.value!);
      assert.equal(
        values.length,
        ranges.reduce((n, r) => n + Number(r.untilOffset - r.fromOffset), 0),
        "a batch's records match its offset ranges",
      );
      seen.push(...values);
      if (values.length > 0) perBatch.push(values.length);
      await KafkaUtils.commitAsync(stream, ranges);
      committedThrough = seen.length;
    });
    await ssc.start();

    const agent = startAgent(conf);
    try {
      await waitFor(
        () => committedThrough >= N,
        `the streaming app reading and committing ${N} records (agent output:\n${tail(agent.output())})`,
        300_000,
      );
      // a few more batches: nothing else may arrive (no duplicates)
      const batchesNow = ssc.batches().length;
      await waitFor(() => ssc.batches().length >= batchesNow + 3, "three more batches", 60_000);
    } finally {
      agent.child.kill("SIGTERM");
      await new Promise((r) => (agent.child.exitCode !== null ? r(null) : agent.child.once("exit", r)));
      await ssc.stop({ graceful: true });
    }

    assert.equal(seen.length, N, `records read: ${seen.length}, expected ${N}`);
    const values = seen.map(Number).sort((a, b) => a - b);
    assert.deepEqual(
      values,
      Array.from({ length: N }, (_, i) => i),
      "each of the agent's events 0..N-1 exactly once",
    );
    assert.equal(
      perBatch.reduce((a, b) => a + b, 0),
      N,
    );
    // maxRatePerPartition caps a 500 ms batch at 3 × 500 records: several batches, each committed in turn
    assert.ok(perBatch.length >= N / 1500 && Math.max(...perBatch) <= 1500, `batches: ${perBatch.join(", ")}`);

    // Kafka's own view of the group: committed offsets at the log end on every partition.
    const describe = await kafkaTool("consumer-groups", [
      "--bootstrap-server",
      bootstrap,
      "--describe",
      "--group",
      GROUP,
    ]);
    const rows = parseGroupDescribe(describe.stdout);
    assert.ok(rows.length >= 1, `no offsets for ${GROUP}:\n${describe.stdout}\n${describe.stderr}`);
    assert.equal(
      rows.reduce((n, r) => n + r.logEnd, 0),
      N,
      `LOG-END-OFFSETs add up to the ${N} records produced:\n${describe.stdout}`,
    );
    for (const r of rows) {
      assert.equal(r.topic, TOPIC);
      assert.equal(
        r.current,
        r.logEnd,
        `partition ${r.partition}: CURRENT-OFFSET at LOG-END-OFFSET:\n${describe.stdout}`,
      );
      assert.equal(r.lag, 0, `partition ${r.partition}: LAG 0:\n${describe.stdout}`);
    }
    console.log(
      `# ${N} records in ${perBatch.length} non-empty batches (${perBatch.join(", ")}); group ` +
        `${GROUP}: ${rows.map((r) => `p${r.partition}=${r.current}/${r.logEnd}`).join(" ")}`,
    );
  },
);
