/**
 * Side-by-side streaming benchmark: the trending-hashtags job (JSON tweets, hashtags from
 * data.entities.hashtags, reduceByKeyAndWindow 60 s sliding every batch with the inverse
 * function, top 10) on millrace's streaming engine (bench/side-by-side/trending-millrace.ts,
 * local[2]) vs Apache Spark 3.5.3 Streaming (test/interop/spark/TrendingHashtags.java,
 * local[2], via test/interop/tooling/spark.sh), both as separate processes reading the same
 * topics of one millrace broker process. The two systems alternate (A B, then B A) in one
 * invocation.
 *  1. throughput: records/s to drain a pre-filled topic of N tweets (4 partitions), 1 s
 *     batches, a large maxRatePerPartition; timed from the start of the first non-empty
 *     batch to the end of the batch that reached N (process and context start-up excluded,
 *     reported separately as wall time);
 *  2. end-to-end latency at a fixed input rate: this process produces at R records/s
 *     (record timestamp = send time) into a fresh topic; per batch, once its top 10 is out,
 *     the app reports now - timestamp of the batch's oldest and newest record. The first
 *     warm-up seconds are dropped.
 *
 *   npm run bench:side-by-side:streaming [-- --records 200000 --rounds 2 --rate 2000 --seconds 15 --warmup 5]
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RemoteTopics } from "../../src/topics/remote.js";
import { startMillraceBroker } from "./millrace-broker.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SPARK_SH = join(ROOT, "test", "interop", "tooling", "spark.sh");
const SPARK_APP = join(ROOT, "test", "interop", "spark", "TrendingHashtags.java");
const MILLRACE_APP = join(ROOT, "bench", "side-by-side", "trending-millrace.ts");

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "200000" },
    partitions: { type: "string", default: "4" },
    rounds: { type: "string", default: "2" },
    "max-rate": { type: "string", default: "1000000" },
    rate: { type: "string", default: "2000" },
    seconds: { type: "string", default: "15" },
    warmup: { type: "string", default: "5" },
    "no-latency": { type: "boolean", default: false },
    /** seconds one throughput run may take before it counts as failed */
    timeout: { type: "string", default: "180" },
  },
});
const N = Number(args.records);
const PARTS = Number(args.partitions);
const ROUNDS = Number(args.rounds);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const BATCH_MS = 1000;
const WINDOW_MS = 60_000;

type System = "millrace" | "spark";

// ---- the millrace broker both systems read from

function startBroker() {
  return startMillraceBroker(["group.initial.rebalance.delay.ms=0"]);
}

// ---- tweets (Twitter API v2 shape, entities included), deterministic

const TAGS = Array.from({ length: 500 }, (_, i) => `Tag${i}`);
let seed = 1;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
function tweet(i: number): string {
  const tags = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => TAGS[Math.floor(rnd() ** 2 * TAGS.length)]!);
  let text = `synthetic tweet number ${i} about things`;
  const hashtags = tags.map((tag) => {
    const start = text.length + 1;
    text += ` #${tag}`;
    return { start, end: start + tag.length + 1, tag };
  });
  text += " and more words here";
  return JSON.stringify({ data: { id: String(1_700_000_000_000_000 + i), text, lang: "en", entities: { hashtags } } });
}

// ---- one run of an app

interface AppResult {
  system: System;
  lines: string[];
  done?: { records: number; seconds: number; vmHwmKb: number };
  lat: Array<{ at: number; oldest: number; newest: number; n: number }>;
  wallSeconds: number;
}

function runApp(system: System, appArgs: string[], onStarted?: () => void): Promise<AppResult> {
  const [cmd, cmdArgs] =
    system === "spark"
      ? ["bash", [SPARK_SH, "run", SPARK_APP, ...appArgs]]
      : [process.execPath, ["--import", "tsx", MILLRACE_APP, ...appArgs]];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs as string[], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MILLRACE_LOG_LEVEL: "warn", SPARK_DRIVER_HEAP: "-Xmx2g" },
    });
    const res: AppResult = { system, lines: [], lat: [], wallSeconds: 0 };
    let buf = "";
    let err = "";
    child.stderr!.on("data", (d) => (err = (err + d).slice(-8000)));
    child.stdout!.on("data", (d) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        res.lines.push(line);
        if (line === "started") onStarted?.();
        let m: RegExpExecArray | null;
        if ((m = /^lat (\d+) (\d+) (\d+)/.exec(line)))
          res.lat.push({ at: performance.now(), oldest: Number(m[1]), newest: Number(m[2]), n: Number(m[3]) });
        if ((m = /^done records=(\d+) seconds=([\d.E-]+) VmHWM=(\d+)/.exec(line)))
          res.done = { records: Number(m[1]), seconds: Number(m[2]), vmHwmKb: Number(m[3]) };
        if ((m = /^end records=(\d+) VmHWM=(\d+)/.exec(line)))
          res.done = { records: Number(m[1]), seconds: NaN, vmHwmKb: Number(m[2]) };
      }
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      res.wallSeconds = (performance.now() - t0) / 1000;
      if (code !== 0)
        reject(new Error(`${system} app exited ${code}\nstdout:\n${res.lines.slice(-10).join("\n")}\nstderr:\n${err}`));
      else resolve(res);
    });
  });
}

// ---- the measurements

interface Throughput {
  system: System;
  round: number;
  records: number;
  seconds: number;
  recordsPerSec: number;
  batches: number;
  wallSeconds: number;
  peakRssMb: number;
  top3: string;
}

async function throughput(system: System, round: number, bootstrap: string): Promise<Throughput> {
  const r = await runApp(system, [
    bootstrap,
    "tweets",
    String(N),
    args["max-rate"]!,
    String(BATCH_MS),
    String(WINDOW_MS),
    args.timeout!,
  ]);
  if (!r.done) throw new Error(`${system}: no done line\n${r.lines.slice(-5).join("\n")}`);
  const batches = r.lines.filter((l) => l.startsWith("batch "));
  const top3 = (/top=(.*)$/.exec(batches.at(-1) ?? "")?.[1] ?? "").split(",").slice(0, 3).join(",");
  return {
    system,
    round,
    records: r.done.records,
    seconds: r.done.seconds,
    recordsPerSec: Math.round(r.done.records / r.done.seconds),
    batches: batches.length,
    wallSeconds: Number(r.wallSeconds.toFixed(1)),
    peakRssMb: Math.round(r.done.vmHwmKb / 1024),
    top3,
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

interface Latency {
  system: System;
  round: number;
  rate: number;
  batches: number;
  records: number;
  oldestP50: number;
  oldestP99: number;
  newestP50: number;
  peakRssMb: number;
}

async function latency(system: System, round: number, bootstrap: string, port: RemoteTopics): Promise<Latency> {
  const topic = `live-${system}-${round}`;
  await port.createTopic(topic, { partitions: PARTS });
  let producing: Promise<void> | undefined;
  let warmEnd = Infinity;
  let i = 0;
  const produce = async () => {
    const start = performance.now();
    warmEnd = start + WARMUP * 1000;
    const tickMs = 10;
    let sent = 0;
    const pending: Promise<unknown>[] = [];
    while (performance.now() - start < (WARMUP + SECONDS) * 1000) {
      const due = Math.floor(((performance.now() - start) / 1000) * RATE);
      if (due > sent) {
        const n = due - sent;
        const p = sent % PARTS;
        pending.push(
          port.produce(
            topic,
            p,
            Array.from({ length: n }, () => ({ value: tweet(i++), timestamp: Date.now() })),
            { acks: 1 },
          ),
        );
        sent = due;
      }
      await new Promise((r) => setTimeout(r, tickMs));
    }
    await Promise.all(pending);
  };
  const r = await runApp(
    system,
    [
      bootstrap,
      topic,
      "0",
      args["max-rate"]!,
      String(BATCH_MS),
      String(WINDOW_MS),
      String(WARMUP + SECONDS + 4),
      "latency",
    ],
    () => {
      producing = produce();
    },
  );
  await producing;
  const measured = r.lat.filter((l) => l.at >= warmEnd);
  return {
    system,
    round,
    rate: RATE,
    batches: measured.length,
    records: measured.reduce((a, l) => a + l.n, 0),
    oldestP50: pct(
      measured.map((l) => l.oldest),
      50,
    ),
    oldestP99: pct(
      measured.map((l) => l.oldest),
      99,
    ),
    newestP50: pct(
      measured.map((l) => l.newest),
      50,
    ),
    peakRssMb: Math.round((r.done?.vmHwmKb ?? 0) / 1024),
  };
}

// ---- main

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const broker = await startBroker();
const port = new RemoteTopics({ bootstrapServers: broker.bootstrap, clientId: "bench-side-by-side-streaming" });
try {
  console.log(
    `machine: ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ${N} ` +
      `tweets in ${PARTS} partitions, batch ${BATCH_MS} ms, window ${WINDOW_MS} ms`,
  );
  await port.createTopic("tweets", { partitions: PARTS });
  for (let i = 0; i < N; i += 1000) {
    await port.produce(
      "tweets",
      (i / 1000) % PARTS,
      Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ value: tweet(i + j) })),
      { acks: 1 },
    );
  }
  console.log(`pre-filled topic tweets on the millrace broker ${broker.bootstrap}`);

  const tp: Throughput[] = [];
  const failures: Array<{ system: System; round: number; phase: string; error: string }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order: System[] = round % 2 ? ["millrace", "spark"] : ["spark", "millrace"];
    for (const s of order) {
      let r: Throughput;
      try {
        r = await throughput(s, round, broker.bootstrap);
      } catch (e) {
        console.log(
          `throughput ${s} round ${round}: FAILED ${(e as Error).message.split("\n").slice(0, 12).join("\n  ")}`,
        );
        failures.push({ system: s, round, phase: "throughput", error: (e as Error).message.slice(0, 4000) });
        continue;
      }
      console.log(
        `throughput ${s} round ${round}: ${r.records} records in ${r.seconds.toFixed(2)} s = ${r.recordsPerSec} ` +
          `records/s (${r.batches} batches; process wall ${r.wallSeconds} s; peak RSS ${r.peakRssMb} MB; top ` +
          `${r.top3})`,
      );
      tp.push(r);
    }
  }

  const lat: Latency[] = [];
  if (!args["no-latency"]) {
    for (let round = 1; round <= ROUNDS; round++) {
      const order: System[] = round % 2 ? ["spark", "millrace"] : ["millrace", "spark"];
      for (const s of order) {
        const r = await latency(s, round, broker.bootstrap, port);
        console.log(
          `latency ${s} round ${round} @ ${RATE} rec/s: oldest-record p50 ${r.oldestP50} ms, p99 ${r.oldestP99} ` +
            `ms; newest-record p50 ${r.newestP50} ms (${r.batches} batches, ${r.records} records; peak RSS ` +
            `${r.peakRssMb} MB)`,
        );
        lat.push(r);
      }
    }
  }

  const of = <T extends { system: System }>(xs: T[], s: System, f: (x: T) => number) =>
    median(xs.filter((x) => x.system === s).map(f));
  const rows: Array<[string, number, number]> = [
    [
      "throughput (records/s, median)",
      of(tp, "millrace", (x) => x.recordsPerSec),
      of(tp, "spark", (x) => x.recordsPerSec),
    ],
    ["drain time (s, median)", of(tp, "millrace", (x) => x.seconds), of(tp, "spark", (x) => x.seconds)],
    [
      "process wall incl. start-up (s)",
      of(tp, "millrace", (x) => x.wallSeconds),
      of(tp, "spark", (x) => x.wallSeconds),
    ],
    ["peak RSS, throughput run (MB)", of(tp, "millrace", (x) => x.peakRssMb), of(tp, "spark", (x) => x.peakRssMb)],
  ];
  if (lat.length) {
    rows.push(
      [
        `latency oldest record p50 (ms) @ ${RATE}/s`,
        of(lat, "millrace", (x) => x.oldestP50),
        of(lat, "spark", (x) => x.oldestP50),
      ],
      [
        `latency oldest record p99 (ms) @ ${RATE}/s`,
        of(lat, "millrace", (x) => x.oldestP99),
        of(lat, "spark", (x) => x.oldestP99),
      ],
      [
        `latency newest record p50 (ms) @ ${RATE}/s`,
        of(lat, "millrace", (x) => x.newestP50),
        of(lat, "spark", (x) => x.newestP50),
      ],
      ["peak RSS, latency run (MB)", of(lat, "millrace", (x) => x.peakRssMb), of(lat, "spark", (x) => x.peakRssMb)],
    );
  }
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
  console.log("\n| metric | millrace | Spark 3.5.3 | millrace/Spark |\n|---|---:|---:|---:|");
  for (const [name, m, s] of rows) console.log(`| ${name} | ${fmt(m)} | ${fmt(s)} | ${(m / s).toFixed(2)} |`);

  mkdirSync(join(import.meta.dirname, "..", "results"), { recursive: true });
  const file = join(import.meta.dirname, "..", "results", "side-by-side-streaming-latest.json");
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, node: process.version },
        params: {
          records: N,
          partitions: PARTS,
          batchMs: BATCH_MS,
          windowMs: WINDOW_MS,
          maxRatePerPartition: Number(args["max-rate"]),
          rate: RATE,
          seconds: SECONDS,
          warmup: WARMUP,
        },
        throughput: tp,
        latency: lat,
        failures,
        summary: rows.map(([metric, millrace, spark]) => ({ metric, millrace, spark, ratio: millrace / spark })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nsaved ${file}`);
} finally {
  await port.close();
  await broker.stop();
}
