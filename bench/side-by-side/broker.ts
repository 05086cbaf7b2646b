/**
 * Side by side: the millrace broker vs the real Apache Kafka 3.9.2 broker (KRaft, single node,
 * started by test/interop/tooling/kafka.sh), measured in one invocation with Kafka's OWN tools
 * on the same machine, the two brokers alternating (never running at the same time):
 *
 *   - kafka-producer-perf-test: 100-byte records, acks=1 and acks=all, 1 and 4 partitions
 *   - kafka-consumer-perf-test: the 1- and 4-partition topics written above
 *   - produce-to-consume latency: org.apache.kafka.tools.EndToEndLatency (one record at a time,
 *     acks=1; p50/p99 in ms as the tool prints them)
 *   - resident memory: VmHWM (peak RSS) of each broker process, from /proc/<pid>/status
 *
 *   npm run bench:side-by-side [-- --records 500000 --latency-records 5000 --rounds 1]
 *
 * Prints a table with ratios millrace / Kafka and writes bench/results/side-by-side-broker-latest.json.
 * Needs java 17 and mvn (or a filled .interop-cache).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../../test/helpers/net.js";
import { startMillraceBroker } from "./millrace-broker.js";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "500000" },
    "latency-records": { type: "string", default: "5000" },
    rounds: { type: "string", default: "1" },
  },
});
const RECORDS = Number(args.records);
const LAT_RECORDS = Number(args["latency-records"]);
const ROUNDS = Number(args.rounds);
const ROOT = join(import.meta.dirname, "..", "..");
const KAFKA_SH = join(ROOT, "test", "interop", "tooling", "kafka.sh");

function sh(cmdArgs: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("bash", [KAFKA_SH, ...cmdArgs], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) => {
      if (code !== 0)
        reject(
          new Error(
            `kafka.sh ${cmdArgs.slice(0, 3).join(" ")} exited ${code}:\n${err.slice(-3000)}\n${out.slice(-2000)}`,
          ),
        );
      else resolve(out);
    });
  });
}

function vmKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

interface Broker {
  name: "millrace" | "kafka";
  bootstrap: string;
  pid: number;
  stop(): Promise<void>;
}

async function startMillrace(): Promise<Broker> {
  // the same settings kafka.sh writes into Kafka's server.properties
  const b = await startMillraceBroker(["group.initial.rebalance.delay.ms=0", "log.segment.bytes=16777216"]);
  return { name: "millrace", ...b };
}

async function startKafka(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), "kafka-sbs-"));
  const port = await freePort();
  const pid = Number((await sh(["start", String(port), dir])).trim().split("\n").pop());
  return {
    name: "kafka",
    bootstrap: `127.0.0.1:${port}`,
    pid,
    stop: async () => {
      await sh(["stop", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Metrics = Record<string, number>;

async function produce(b: Broker, topic: string, partitions: number, acks: string): Promise<Metrics> {
  await sh([
    "run",
    "topics",
    "--bootstrap-server",
    b.bootstrap,
    "--create",
    "--topic",
    topic,
    "--partitions",
    String(partitions),
    "--replication-factor",
    "1",
  ]);
  const out = await sh([
    "run",
    "producer-perf-test",
    "--topic",
    topic,
    "--num-records",
    String(RECORDS),
    "--record-size",
    "100",
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${b.bootstrap}`,
    `acks=${acks}`,
  ]);
  const m = new RegExp(
    String.raw`^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ` +
      String.raw`([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th`,
    "m",
  ).exec(out);
  if (!m || Number(m[1]) !== RECORDS)
    throw new Error(`producer-perf-test on ${b.name}: unexpected output\n${out.slice(-1000)}`);
  return { "records/s": Number(m[2]), "MB/s": Number(m[3]), "avg ms": Number(m[4]), "p99 ms": Number(m[8]) };
}

async function consume(b: Broker, topic: string): Promise<Metrics> {
  const out = await sh([
    "run",
    "consumer-perf-test",
    "--bootstrap-server",
    b.bootstrap,
    "--topic",
    topic,
    "--messages",
    String(RECORDS),
    "--timeout",
    "120000",
    "--group",
    `sbs-${topic}`,
  ]);
  const lines = out.trim().split("\n");
  const h = lines.findIndex((l) => l.startsWith("start.time"));
  const cols = lines[h].split(", ");
  const vals = lines[h + 1].split(", ");
  const col = (n: string) => Number(vals[cols.indexOf(n)]);
  if (col("data.consumed.in.nMsg") < RECORDS)
    throw new Error(`consumer-perf-test on ${b.name} read ${col("data.consumed.in.nMsg")} of ${RECORDS}`);
  // fetch.* excludes the time spent joining the group (rebalance.time.ms)
  return { "records/s": col("fetch.nMsg.sec"), "MB/s": col("fetch.MB.sec"), "join ms": col("rebalance.time.ms") };
}

async function latency(b: Broker): Promise<Metrics> {
  await sh([
    "run",
    "topics",
    "--bootstrap-server",
    b.bootstrap,
    "--create",
    "--topic",
    "sbs-latency",
    "--partitions",
    "1",
    "--replication-factor",
    "1",
  ]);
  const out = await sh([
    "run",
    "org.apache.kafka.tools.EndToEndLatency",
    b.bootstrap,
    "sbs-latency",
    String(LAT_RECORDS),
    "1",
    "100",
  ]);
  const avg = /Avg latency: ([\d.]+) ms/.exec(out);
  const p = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(out);
  if (!avg || !p) throw new Error(`EndToEndLatency on ${b.name}: unexpected output\n${out.slice(-1000)}`);
  return { "p50 ms": Number(p[1]), "p99 ms": Number(p[2]), "avg ms": Number(avg[1]) };
}

async function phase(start: () => Promise<Broker>, round: number): Promise<Record<string, Metrics>> {
  const b = await start();
  const r: Record<string, Metrics> = {};
  try {
    console.error(`[round ${round}] ${b.name} on ${b.bootstrap} (pid ${b.pid})`);
    for (const parts of [1, 4]) {
      for (const acks of ["1", "all"]) {
        const t = `sbs-p${parts}-acks${acks}`;
        r[`produce ${parts}p acks=${acks}`] = await produce(b, t, parts, acks);
        console.error(`  produce ${parts}p acks=${acks}: ${JSON.stringify(r[`produce ${parts}p acks=${acks}`])}`);
      }
    }
    for (const parts of [1, 4]) {
      r[`consume ${parts}p`] = await consume(b, `sbs-p${parts}-acks1`);
      console.error(`  consume ${parts}p: ${JSON.stringify(r[`consume ${parts}p`])}`);
    }
    r["latency acks=1"] = await latency(b);
    console.error(`  latency: ${JSON.stringify(r["latency acks=1"])}`);
    r.memory = { "peak RSS MB": vmKb(b.pid, "VmHWM") / 1024, "RSS MB": vmKb(b.pid, "VmRSS") / 1024 };
  } finally {
    await b.stop();
  }
  return r;
}

/** For each metric, the better of the rounds (max for rates, min for times and memory). */
function best(runs: Record<string, Metrics>[]): Record<string, Metrics> {
  const out: Record<string, Metrics> = {};
  for (const run of runs) {
    for (const [k, m] of Object.entries(run)) {
      out[k] ??= { ...m };
      for (const [mk, v] of Object.entries(m)) {
        const higherBetter = mk.endsWith("/s");
        out[k][mk] = higherBetter ? Math.max(out[k][mk], v) : Math.min(out[k][mk], v);
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  await sh(["fetch"]);
  const mr: Record<string, Metrics>[] = [];
  const kf: Record<string, Metrics>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // alternate the order between rounds so that neither always runs on a "warmer" machine
    if (round % 2 === 1) {
      mr.push(await phase(startMillrace, round));
      kf.push(await phase(startKafka, round));
    } else {
      kf.push(await phase(startKafka, round));
      mr.push(await phase(startMillrace, round));
    }
  }
  const m = best(mr);
  const k = best(kf);
  const rows: { scenario: string; metric: string; millrace: number; kafka: number; ratio: number }[] = [];
  for (const [scenario, metrics] of Object.entries(m)) {
    for (const [metric, v] of Object.entries(metrics))
      rows.push({ scenario, metric, millrace: v, kafka: k[scenario][metric], ratio: v / k[scenario][metric] });
  }
  const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : "-");
  const header = ["scenario", "metric", "millrace", "kafka 3.9.2", "millrace/kafka"];
  const table = rows.map((r) => [r.scenario, r.metric, fmt(r.millrace), fmt(r.kafka), fmt(r.ratio)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  console.log(
    `records=${RECORDS} x 100 B, latency records=${LAT_RECORDS}, rounds=${ROUNDS}, ${cpus().length} CPUs, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const t of table) console.log(line(t));
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench", "results", "side-by-side-broker-latest.json"),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        records: RECORDS,
        latencyRecords: LAT_RECORDS,
        rounds: ROUNDS,
        cpus: cpus().length,
        node: process.version,
        rows,
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
