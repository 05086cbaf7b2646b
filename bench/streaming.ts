/**
 * Streaming benchmark: the trending-hashtags app (examples/streaming/trending.ts)
 * over an embedded topic.
 *  1. throughput: records/s over a pre-filled topic (no rate limit), local[1]
 *     vs local[2];
 *  2. end-to-end latency (record appended -> the batch's output written) at a
 *     fixed input rate, for batch intervals of 1000, 100 and 10 ms, with the
 *     batches' total delay.
 *
 *   npm run bench:streaming [-- --records 400000 --rate 2000 --seconds 8 --throughput-only]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { execFile } from "node:child_process";
import { LogManager } from "../src/log/index.js";
import { EmbeddedTopics } from "../src/topics/embedded.js";
import { StreamingContext } from "../src/streaming/context.js";
import { KafkaUtils } from "../src/streaming/kafka.js";
import { jsonDecoder } from "../src/formats/decoders.js";
import { trending } from "../examples/streaming/trending.js";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "400000" },
    rate: { type: "string", default: "2000" },
    seconds: { type: "string", default: "8" },
    partitions: { type: "string", default: "4" },
    "tp-batch": { type: "string", default: "200" },
    "tp-rate": { type: "string", default: "150000" },
    "throughput-only": { type: "boolean", default: false },
  },
});
const execFileP = promisify(execFile);
const TP_BATCH = Number(args["tp-batch"]);
const TP_RATE = Number(args["tp-rate"]);
const RECORDS = Number(args.records);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const PARTS = Number(args.partitions);
const TAGS = Array.from({ length: 500 }, (_, i) => `#tag${i}`);

let seed = 1;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
function tweet(i: number): string {
  const tags = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => TAGS[Math.floor(rnd() ** 2 * TAGS.length)]);
  return JSON.stringify({
    data: {
      id: String(i),
      text: `synthetic tweet number ${i} about things ${tags.join(" ")} and more words here`,
      lang: "en",
    },
  });
}

async function openPort(dir: string) {
  const log = await LogManager.open({ dir });
  const port = new EmbeddedTopics({ log });
  return { port, close: () => log.close() };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

/**
 * Runs bench/streaming-throughput-app.ts in a child process (an app module, so
 * local[N] worker threads can load it, as under `millrace submit`).
 */
async function throughput(
  master: string,
  dir: string,
): Promise<{
  master: string;
  records: number;
  seconds: number;
  recordsPerSec: number;
  workerThreads: boolean;
  startupSeconds: number;
  cpuSeconds: number;
}> {
  const app = join(import.meta.dirname, "streaming-throughput-app.ts");
  const { stdout } = await execFileP(
    process.execPath,
    ["--import", "tsx", app, dir, master, String(PARTS), String(TP_BATCH), String(TP_RATE)],
    { maxBuffer: 1 << 24 },
  );
  const line = stdout.trim().split("\n").pop()!;
  return JSON.parse(line);
}

async function latency(batchMs: number, dir: string) {
  const { port, close } = await openPort(dir);
  const topic = `live-${batchMs}`;
  await port.createTopic(topic, { partitions: PARTS });
  const ssc = new StreamingContext({ appName: `latency-${batchMs}`, batchInterval: batchMs, master: "local[2]" });
  const stream = KafkaUtils.createDirectStream(ssc, {
    topics: [topic],
    topicsPort: port,
    startingOffsets: "latest",
    valueDecoder: jsonDecoder,
  });
  const latencies: number[] = [];
  const out = join(dir, `out-${batchMs}`);
  mkdirSync(out, { recursive: true });
  let measuring = false;
  const stamps = stream.map((r) => r.timestamp);
  trending(
    stream.map((r) => r.value),
    60_000,
    batchMs,
  ).foreachRDD(async (rdd, time) => {
    writeFileSync(join(out, "top.txt"), `${time}\n${(await rdd.collect()).map((x) => x.join(" ")).join("\n")}\n`);
  });
  stamps.foreachRDD(async (rdd) => {
    const now = Date.now();
    if (!measuring) return;
    for (const ts of await rdd.collect()) latencies.push(now - ts);
  });
  await ssc.start();
  // a producer at a fixed rate: one record per partition-turn every tick
  const tickMs = 5;
  const perTick = (RATE * tickMs) / 1000;
  let sent = 0;
  let carry = 0;
  const startAt = Date.now();
  const warmupEnd = startAt + 1500 + 2 * batchMs;
  await new Promise<void>((resolve) => {
    const iv = setInterval(() => {
      const now = Date.now();
      if (now >= warmupEnd) measuring = true;
      if (now - startAt > SECONDS * 1000 + 1500) {
        clearInterval(iv);
        resolve();
        return;
      }
      carry += perTick;
      const n = Math.floor(carry);
      carry -= n;
      if (n > 0) {
        const p = sent % PARTS;
        void port.produce(
          topic,
          p,
          Array.from({ length: n }, (_, i) => ({ value: tweet(sent + i), timestamp: Date.now() })),
          { acks: 1 },
        );
        sent += n;
      }
    }, tickMs);
  });
  await new Promise((r) => setTimeout(r, 3 * batchMs + 200));
  await ssc.stop();
  const batches = ssc.batches().filter((b) => b.totalDelay !== undefined && b.time >= warmupEnd);
  const total = batches.map((b) => b.totalDelay!);
  const proc = batches.map((b) => b.processingTime!);
  await close();
  return {
    batchMs,
    rate: RATE,
    records: latencies.length,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: latencies.reduce((a, b) => Math.max(a, b), -Infinity),
    batches: batches.length,
    totalDelayP99: pct(total, 99),
    processingP50: pct(proc, 50),
    under2x: total.filter((d) => d <= 2 * batchMs).length / Math.max(1, total.length),
  };
}

const dir = mkdtempSync(join(tmpdir(), "millrace-bench-streaming-"));
try {
  console.log(`machine: ${cpus().length} CPUs, node ${process.version}`);
  {
    const { port, close } = await openPort(dir);
    await port.createTopic("tweets", { partitions: PARTS });
    for (let i = 0; i < RECORDS; i += 1000) {
      await port.produce(
        "tweets",
        (i / 1000) % PARTS,
        Array.from({ length: Math.min(1000, RECORDS - i) }, (_, j) => ({ value: tweet(i + j) })),
        { acks: 1 },
      );
    }
    await close();
    console.log(`pre-filled ${RECORDS} tweets in ${PARTS} partitions`);
  }
  const results: Record<string, unknown> = {};
  const tp = [];
  for (const master of ["local[1]", "local[2]"]) {
    const r = await throughput(master, dir);
    console.log(
      `throughput ${master}: ${r.records} records in ${r.seconds.toFixed(2)} s = ${r.recordsPerSec} records/s` +
        ` (worker threads: ${r.workerThreads ? `yes, started in ${r.startupSeconds.toFixed(2)} s` : "no"}; ` +
        `CPU ${r.cpuSeconds.toFixed(2)} s in all threads; load average ${loadavg()
          .map((x) => x.toFixed(2))
          .join(" ")})`,
    );
    tp.push(r);
  }
  results.throughput = tp;
  console.log(`local[2] / local[1] = ${(tp[1]!.recordsPerSec / tp[0]!.recordsPerSec).toFixed(2)}`);
  const lat = [];
  for (const batchMs of args["throughput-only"] ? [] : [1000, 100, 10]) {
    const r = await latency(batchMs, dir);
    console.log(
      `latency batch ${batchMs} ms @ ${RATE} rec/s: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms ` +
        `(${r.records} records); ` +
        `batch total delay p99 ${r.totalDelayP99} ms, processing p50 ${r.processingP50} ms, ` +
        `${(r.under2x * 100).toFixed(1)}% of batches within 2 intervals`,
    );
    lat.push(r);
  }
  results.latency = lat;
  mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
  if (!args["throughput-only"])
    writeFileSync(
      join(import.meta.dirname, "results", "streaming-latest.json"),
      `${JSON.stringify(results, null, 2)}\n`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
