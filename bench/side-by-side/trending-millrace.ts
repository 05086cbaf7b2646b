/**
 * The trending-hashtags job on millrace's streaming engine, the millrace side of
 * bench/side-by-side/streaming.ts: the same job, arguments and output lines as
 * test/interop/spark/TrendingHashtags.java (its Spark twin), so the two run as
 * processes of the same shape.
 *
 *   node --import tsx bench/side-by-side/trending-millrace.ts <bootstrap> <topic> <expected>
 *     <maxRatePerPartition> <batchMs> <windowMs> <timeoutSeconds> [latency]
 */
import { readFileSync } from "node:fs";
import { StreamingContext } from "../../src/streaming/context.js";
import { KafkaUtils } from "../../src/streaming/kafka.js";

const [bootstrap, topic, expectedS, maxRateS, batchS, windowS, timeoutS, mode] = process.argv.slice(2);
if (!timeoutS) {
  console.error(
    "usage: trending-millrace.ts <bootstrap> <topic> <expected> <maxRatePerPartition> <batchMs> <windowMs> " +
      "<timeoutSeconds> [latency]",
  );
  process.exit(1);
}
const expected = Number(expectedS);
const batchMs = Number(batchS);
const latency = mode === "latency";

const vmHwm = () => `VmHWM=${/VmHWM:\s*(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0}`;

/** data.entities.hashtags[].tag of a JSON tweet, lower-cased with "#" */
function hashtags(value: string | null): string[] {
  const t = JSON.parse(value ?? "null") as { data?: { entities?: { hashtags?: Array<{ tag?: string }> } } } | null;
  return (t?.data?.entities?.hashtags ?? []).map((h) => `#${String(h.tag).toLowerCase()}`);
}

const ssc = new StreamingContext({ appName: "TrendingHashtags", batchInterval: batchMs, master: "local[2]" });
const stream = KafkaUtils.createDirectStream(ssc, {
  bootstrapServers: bootstrap,
  topics: [topic!],
  startingOffsets: latency ? "latest" : "earliest",
  maxRatePerPartition: Number(maxRateS),
  // values as strings, parsed by the job (as Spark's StringDeserializer + Jackson)
  valueDecoder: (b: Buffer | null) => (b === null ? null : b.toString("utf8")),
});

let total = 0;
let firstStart = 0;
let batchRecords = 0;
let stamps: [number, number] | undefined;
let resolveDone!: () => void;
const done = new Promise<void>((r) => (resolveDone = r));

stream.foreachRDD((rdd) => {
  const n = KafkaUtils.offsetRanges(rdd).reduce((a, r) => a + Number(r.untilOffset - r.fromOffset), 0);
  batchRecords = n;
  if (n > 0 && firstStart === 0) firstStart = performance.now();
});

const counts = stream
  .map((r) => r.value)
  .flatMap(hashtags)
  .map((tag) => [tag, 1] as [string, number])
  .reduceByKeyAndWindow(
    (a, b) => a + b,
    (a, b) => a - b,
    Number(windowS),
    batchMs,
    2,
    ([, c]) => c > 0,
  );

if (latency) {
  stream.foreachRDD(async (rdd) => {
    const ts = await rdd.map((r) => r.timestamp).collect();
    stamps = ts.length ? [ts.reduce((a, b) => Math.min(a, b)), ts.reduce((a, b) => Math.max(a, b))] : undefined;
  });
}

counts.foreachRDD(async (rdd, time) => {
  const top = await rdd.sortBy(([tag, c]) => [-c, tag]).take(10);
  const now = Date.now();
  const n = batchRecords;
  if (n === 0) return;
  total += n;
  console.log(`batch ${time} records=${n} top=${top.map(([t, c]) => `${t}:${c},`).join("")}`);
  if (latency && stamps) console.log(`lat ${now - stamps[0]} ${now - stamps[1]} ${n}`);
  if (expected > 0 && total >= expected) {
    console.log(`done records=${total} seconds=${(performance.now() - firstStart) / 1000} ${vmHwm()}`);
    resolveDone();
  }
});

await ssc.start();
console.log("started");
const ok = await Promise.race([
  done.then(() => true),
  new Promise<boolean>((r) => setTimeout(() => r(false), Number(timeoutS) * 1000).unref()),
]);
if (!ok) {
  console.log(`${expected > 0 ? "timeout" : "end"} records=${total} ${vmHwm()}`);
  if (expected > 0) {
    const bs = ssc.batches();
    console.error(
      `timeout: state ${ssc.state}, ${bs.length} batches done, first records=${bs[0]?.records} last ` +
        `${JSON.stringify(bs.at(-1))}`,
    );
  }
}
// a non-graceful stop with batches queued spins (src/streaming/context.ts kick); see the report
await ssc.stop({ graceful: true });
process.exit(ok || expected <= 0 ? 0 : 2);
