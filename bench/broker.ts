/**
 * Broker benchmark with a librdkafka client (confluent-kafka-python):
 * produce throughput (100-byte values; acks=1 and acks=all; 1 and 4
 * partitions), consume throughput, and produce-to-consume latency at a fixed
 * rate. The broker runs as its own process, as in production.
 *
 *   npm run bench:broker [-- --records 1000000 --rate 10000 --seconds 10]
 *
 * Needs /usr/bin/python3 with confluent_kafka (Debian: python3-confluent-kafka).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KafkaClient } from "../src/client/client.js";
import { freePort } from "../test/helpers/net.js";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    rate: { type: "string", default: "10000" },
    seconds: { type: "string", default: "10" },
    size: { type: "string", default: "100" },
  },
});
const RECORDS = Number(args.records);
const SIZE = Number(args.size);
const PY = "/usr/bin/python3";
const SCRIPT = join(import.meta.dirname, "broker", "rdkafka_bench.py");

if (spawnSync(PY, ["-c", "import confluent_kafka"]).status !== 0) {
  console.error("bench:broker needs confluent-kafka-python: apt-get install python3-confluent-kafka");
  process.exit(2);
}

function rssKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : -1;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

function py(mode: string, ...rest: (string | number)[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(PY, [SCRIPT, mode, ...rest.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`${mode} exited ${code}: ${out}`));
      resolve(JSON.parse(last));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "millrace-bench-"));
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const broker: ChildProcess = spawn(
    process.execPath,
    ["bin/millrace.js", "broker", "--override", `listeners=PLAINTEXT://${bootstrap}`, "--override", `log.dirs=${dir}`],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" } },
  );
  let client: KafkaClient | undefined;
  for (let i = 0; i < 200 && !client; i++) {
    try {
      client = await KafkaClient.connect(bootstrap);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!client) throw new Error("broker did not start");
  const rows: Record<string, unknown>[] = [];
  try {
    // Warm up the broker (JIT, page cache) before measuring.
    await client.createTopic("bench-warmup", 1);
    await py("produce", bootstrap, "bench-warmup", 300000, SIZE, "1");
    await py("consume", bootstrap, "bench-warmup", 300000, 1);
    for (const partitions of [1, 4]) {
      for (const acks of ["1", "all"]) {
        const topic = `bench-p${partitions}-acks${acks}`;
        await client.createTopic(topic, partitions);
        const cpu0 = cpuSeconds(broker.pid!);
        const prod = await py("produce", bootstrap, topic, RECORDS, SIZE, acks);
        const cpu1 = cpuSeconds(broker.pid!);
        const cons = await py("consume", bootstrap, topic, RECORDS, partitions);
        const cpu2 = cpuSeconds(broker.pid!);
        const row = {
          partitions,
          acks,
          produce_rate: Math.round(prod.rate),
          produce_mb_s: +prod.mb_per_s.toFixed(1),
          produce_errors: prod.errors,
          broker_cpu_during_produce: `${Math.round(((cpu1 - cpu0) / prod.seconds) * 100)}%`,
          consume_rate: Math.round(cons.rate),
          consume_mb_s: +cons.mb_per_s.toFixed(1),
          consumed: cons.records,
          broker_cpu_during_consume: `${Math.round(((cpu2 - cpu1) / Math.max(cons.seconds, 0.001)) * 100)}%`,
          broker_rss_mb: Math.round(rssKb(broker.pid!, "VmRSS") / 1024),
        };
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
    await client.createTopic("bench-latency", 1);
    const rate = Number(args.rate);
    const seconds = Number(args.seconds);
    const total = Math.round(rate * seconds);
    const consumer = spawn(PY, [SCRIPT, "latency-consume", bootstrap, "bench-latency", String(total), "1"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const exited = new Promise((r) => consumer.on("exit", r));
    await new Promise<void>((resolve, reject) => {
      consumer.stdout.on("data", (d) => {
        out += d;
        if (out.includes("ready")) resolve();
      });
      consumer.on("exit", (code) => reject(new Error(`latency consumer exited ${code} before it was ready: ${out}`)));
    });
    await new Promise((r) => setTimeout(r, 1000));
    await py("latency-produce", bootstrap, "bench-latency", rate, seconds);
    await exited;
    const lat = JSON.parse(out.trim().split("\n").pop()!);
    const latRow = {
      rate,
      records: lat.records,
      p50_ms: +lat.p50_ms.toFixed(2),
      p99_ms: +lat.p99_ms.toFixed(2),
      max_ms: +lat.max_ms.toFixed(2),
    };
    console.log(JSON.stringify(latRow));
    const peak = Math.round(rssKb(broker.pid!, "VmHWM") / 1024);
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      records: RECORDS,
      size: SIZE,
      throughput: rows,
      latency: latRow,
      broker_peak_rss_mb: peak,
    };
    mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
    writeFileSync(join(import.meta.dirname, "results", "broker-latest.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await client.close();
    broker.kill("SIGTERM");
    await new Promise((r) => broker.on("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
