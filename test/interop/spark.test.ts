/**
 * Apache Spark 3.5.3 (local[2], fetched with Maven by test/interop/tooling/spark.sh) reading from
 * a millrace broker process:
 *   - the article's Spark Streaming application (test/interop/spark/StreamingKafkaDirectStringDecoder.java:
 *     KafkaUtils.createDirectStream, PreferConsistent, Subscribe, StringDeserializer, 1 s batches),
 *   - a Structured Streaming query (test/interop/spark/StructuredKafkaQuery.java: readStream.format("kafka"),
 *     a JSON file sink, Trigger.AvailableNow).
 * Both must see every record produced to the topic, exactly once, with its key, value and offset.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../helpers/broker.js";
import { BrokerProcess, INTEROP_DIR, assertPresent, needs, readTopic, runOk, type ReadRecord } from "./helpers.js";
import { SCRIPT, fetchJvmTool, kafkaTool, missingJvmTool, parseGroupDescribe } from "./jvm-tools.js";

const missing = missingJvmTool("kafka") ?? missingJvmTool("spark");
const N = 300;

let broker: BrokerProcess | undefined;
let dir = "";
let work = "";
let stored: ReadRecord[] = [];
const topic = "spark-in";

before(async () => {
  dir = tempDir("millrace-spark-");
  work = tempDir("millrace-spark-work-");
  broker = await BrokerProcess.start(dir);
  if (missing) return;
  await fetchJvmTool("kafka");
  await fetchJvmTool("spark");
  const b = broker.bootstrap;
  await kafkaTool("topics", ["--bootstrap-server", b, "--create", "--topic", topic, "--partitions", "3"]);
  await kafkaTool(
    "console-producer",
    ["--bootstrap-server", b, "--topic", topic, "--property", "parse.key=true", "--property", "key.separator=|"],
    {
      input: Array.from({ length: N }, (_, i) => `user${i % 7}|tweet #${i} #spark\n`).join(""),
    },
  );
  stored = (await readTopic(b, topic)).records;
});

after(async () => {
  await broker?.stop();
  removeDir(dir);
  removeDir(work);
});

const at = (r: { partition: number; offset: number | bigint }) => `${r.partition}/${r.offset}`;

test(
  "Spark Streaming: the article's direct stream (StreamingKafkaDirectStringDecoder) reads every record",
  needs(missing, 600_000),
  async () => {
    assertPresent(missing);
    assert.equal(stored.length, N);
    const group = "spark-direct";
    const res = await runOk(
      "bash",
      [
        SCRIPT.spark,
        "run",
        join(INTEROP_DIR, "spark", "StreamingKafkaDirectStringDecoder.java"),
        broker!.bootstrap,
        topic,
        group,
        String(N),
        "240",
      ],
      { timeoutMs: 500_000 },
    );
    const seen = res.stdout
      .split("\n")
      .filter((l) => l.startsWith("record\t"))
      .map((l) => {
        const [, t, p, o, key, value] = l.split("\t");
        return { topic: t, partition: Number(p), offset: Number(o), key, value };
      });
    assert.match(res.stdout, new RegExp(`^done total=${N}$`, "m"), res.stdout.slice(-500));
    const counts = [...res.stdout.matchAll(/^batch \d+ count=(\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      N,
      "the batch counts add up to the records",
    );
    assert.equal(seen.length, N);
    const byPlace = new Map(stored.map((r) => [at(r), r]));
    assert.equal(new Set(seen.map(at)).size, N, "no record twice");
    for (const s of seen) {
      const r = byPlace.get(at(s));
      assert.ok(r, `Spark read ${at(s)}, which the broker does not hold`);
      assert.equal(s.topic, topic);
      assert.equal(s.key, r.key);
      assert.equal(s.value, r.value);
    }
    // The stream committed its offset ranges to the group (commitAsync): no lag is left.
    const rows = parseGroupDescribe(
      (await kafkaTool("consumer-groups", ["--bootstrap-server", broker!.bootstrap, "--describe", "--group", group]))
        .stdout,
    );
    assert.equal(rows.length, 3);
    for (const row of rows) assert.equal(row.lag, 0, `partition ${row.partition}: offsets not committed by the stream`);
  },
);

test(
  'Spark Structured Streaming: readStream.format("kafka") with Trigger.AvailableNow reads every record',
  needs(missing, 600_000),
  async () => {
    assertPresent(missing);
    assert.equal(stored.length, N);
    const out = join(work, "out");
    const res = await runOk(
      "bash",
      [
        SCRIPT.spark,
        "run",
        join(INTEROP_DIR, "spark", "StructuredKafkaQuery.java"),
        broker!.bootstrap,
        topic,
        out,
        join(work, "checkpoint"),
      ],
      { timeoutMs: 500_000 },
    );
    assert.match(res.stdout, new RegExp(`^count=${N}$`, "m"), res.stdout);
    const rows: { key: string; value: string; topic: string; partition: number; offset: number }[] = [];
    for (const f of readdirSync(out).filter((f) => f.startsWith("part-") && f.endsWith(".json"))) {
      for (const line of readFileSync(join(out, f), "utf8").split("\n")) if (line) rows.push(JSON.parse(line));
    }
    assert.equal(rows.length, N);
    const byPlace = new Map(stored.map((r) => [at(r), r]));
    assert.equal(new Set(rows.map(at)).size, N, "no record twice");
    for (const s of rows) {
      const r = byPlace.get(at(s));
      assert.ok(r, `Spark read ${at(s)}, which the broker does not hold`);
      assert.equal(s.topic, topic);
      assert.equal(s.key, r.key);
      assert.equal(s.value, r.value);
    }
  },
);
