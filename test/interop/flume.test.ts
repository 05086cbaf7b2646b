/**
 * Apache Flume 1.11.0 (fetched with Maven by test/interop/tooling/flume.sh; its Kafka channel
 * uses kafka-clients 2.7.2) running the article's Kafka-channel configuration against a millrace
 * broker process: a seq source feeding a Kafka channel on topic "twitter", no sink. The channel
 * stores each event as an AvroFlumeEvent (parseAsFlumeEvent=true, the default); the topic is read
 * back with millrace's own client and decoded with src/formats/avro-flume-event.ts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KafkaClient } from "../../src/client/client.js";
import { decodeAvroFlumeEvent } from "../../src/formats/avro-flume-event.js";
import { decodeRecordSet } from "../../src/protocol/records/records.js";
import { removeDir, tempDir } from "../helpers/broker.js";
import { BrokerProcess, REPO_ROOT, assertPresent, needs, readTopic, tail } from "./helpers.js";
import { SCRIPT, fetchJvmTool, missingJvmTool } from "./jvm-tools.js";

const missing = missingJvmTool("flume");
const N = 500;

let broker: BrokerProcess | undefined;
let dir = "";
let work = "";

before(async () => {
  dir = tempDir("millrace-flume-");
  work = tempDir("millrace-flume-work-");
  broker = await BrokerProcess.start(dir);
  if (!missing) await fetchJvmTool("flume");
});

after(async () => {
  await broker?.stop();
  removeDir(dir);
  removeDir(work);
});

/** The end offset of twitter-0, or -1 while the topic does not exist yet. */
async function endOffset(bootstrap: string): Promise<bigint> {
  const client = await KafkaClient.connect(bootstrap);
  try {
    const [meta] = await client.metadata(["twitter"]);
    if (meta.errorCode !== 0 || meta.partitions.length === 0) return -1n;
    let total = 0n;
    for (const p of meta.partitions) total += await client.listOffset("twitter", p.partition, -1n);
    return total;
  } finally {
    await client.close();
  }
}

test(
  "Flume 1.11's Kafka channel (the article's configuration) writes AvroFlumeEvents into millrace",
  needs(missing, 400_000),
  async () => {
    assertPresent(missing);
    const b = broker!.bootstrap;
    const conf = join(work, "flume.conf");
    // The article's agent: a Kafka channel on topic "twitter" with no sink (Kafka is the buffer that
    // the streaming job reads); a bounded seq source stands in for the Twitter source.
    writeFileSync(
      conf,
      [
        "TwitterAgent.sources = Seq",
        "TwitterAgent.channels = KafkaChannel",
        "TwitterAgent.sinks =",
        "TwitterAgent.sources.Seq.type = seq",
        `TwitterAgent.sources.Seq.totalEvents = ${N}`,
        "TwitterAgent.sources.Seq.batchSize = 50",
        "TwitterAgent.sources.Seq.channels = KafkaChannel",
        "TwitterAgent.channels.KafkaChannel.type = org.apache.flume.channel.kafka.KafkaChannel",
        `TwitterAgent.channels.KafkaChannel.kafka.bootstrap.servers = ${b}`,
        "TwitterAgent.channels.KafkaChannel.kafka.topic = twitter",
        "TwitterAgent.channels.KafkaChannel.kafka.consumer.group.id = flume-consumer",
        "TwitterAgent.channels.KafkaChannel.parseAsFlumeEvent = true",
        "",
      ].join("\n"),
    );
    const agent = spawn("bash", [SCRIPT.flume, "agent", conf, "TwitterAgent"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    agent.stdout.setEncoding("utf8").on("data", (t: string) => (log = (log + t).slice(-20_000)));
    agent.stderr.setEncoding("utf8").on("data", (t: string) => (log = (log + t).slice(-20_000)));
    const exited = new Promise<number | null>((r) => agent.once("exit", (code) => r(code)));
    try {
      const deadline = Date.now() + 240_000;
      let end = -1n;
      while (end < BigInt(N)) {
        if (agent.exitCode !== null) assert.fail(`the Flume agent exited (${agent.exitCode}):\n${tail(log)}`);
        if (Date.now() > deadline)
          assert.fail(`twitter holds ${end} of ${N} events after 240 s; Flume's log:\n${tail(log)}`);
        await sleep(500);
        end = await endOffset(b);
      }
      assert.equal(end, BigInt(N), "no event twice");
    } finally {
      agent.kill("SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
      if (!stopped) {
        agent.kill("SIGKILL");
        await exited;
      }
    }
    assert.doesNotMatch(log, /\bERROR\b/, `Flume logged errors:\n${tail(log)}`);

    const { records } = await readTopic(b, "twitter");
    assert.equal(records.length, N);
    const client = await KafkaClient.connect(b);
    const bodies: string[] = [];
    try {
      for (const p of new Set(records.map((r) => r.partition))) {
        // raw values (readTopic decodes as UTF-8 strings; Avro bodies are bytes)
        let next = 0n;
        const endP = await client.listOffset("twitter", p, -1n);
        while (next < endP) {
          const f = await client.fetch("twitter", p, next, { maxWaitMs: 0 });
          assert.ok(f.records);
          for (const batch of decodeRecordSet(f.records)) {
            for (const r of batch.records) {
              if (r.offset < next) continue;
              assert.equal(r.key, null, "the Kafka channel sends no key without a key header");
              const e = decodeAvroFlumeEvent(r.value!);
              assert.deepEqual(e.headers, {}, "the seq source sets no headers");
              bodies.push(e.body.toString("utf8"));
              next = r.offset + 1n;
            }
          }
        }
      }
    } finally {
      await client.close();
    }
    assert.deepEqual(
      bodies.map(Number).sort((a, c) => a - c),
      Array.from({ length: N }, (_, i) => i),
      "the seq source's bodies 0..N-1, each once",
    );
  },
);
