/**
 * Side-by-side agent benchmark: ONE Flume configuration (seq source with totalEvents N →
 * memory channel → file_roll sink, batches of 1000) run by Apache Flume 1.11.0
 * (test/interop/tooling/flume.sh agent) and by `millrace agent`, alternating (A B, then B A)
 * in one invocation.
 *  - events/s: N / time from the first byte in the sink's directory to the N-th event's line
 *    (the file_roll output reaches the exact size of the N bodies "0\n" ... "N-1\n"), plus the
 *    process wall time from spawn (start-up included);
 *  - peak RSS: the agent process's VmHWM (/proc/<pid>/status) once N events are delivered.
 * The output is checked: N lines, 0..N-1 each once.
 *
 *   npm run bench:side-by-side:agent [-- --events 1000000 --rounds 2]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dirname, "..", "..");
const FLUME_SH = join(ROOT, "test", "interop", "tooling", "flume.sh");

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "2" },
  },
});
const N = Number(args.events);
const ROUNDS = Number(args.rounds);
type System = "millrace" | "flume";

/** bytes of "0\n1\n...(N-1)\n" */
function expectedBytes(n: number): number {
  let total = 0;
  for (let lo = 0, hi = 10, digits = 1; lo < n; lo = hi, hi *= 10, digits++)
    total += (Math.min(n, hi) - lo) * (digits + 1);
  return total;
}

function conf(outDir: string): string {
  return [
    "a1.sources = r1",
    "a1.channels = c1",
    "a1.sinks = k1",
    "a1.sources.r1.type = seq",
    `a1.sources.r1.totalEvents = ${N}`,
    "a1.sources.r1.batchSize = 1000",
    "a1.sources.r1.channels = c1",
    "a1.channels.c1.type = memory",
    "a1.channels.c1.capacity = 100000",
    "a1.channels.c1.transactionCapacity = 1000",
    "a1.sinks.k1.type = file_roll",
    `a1.sinks.k1.sink.directory = ${outDir}`,
    "a1.sinks.k1.sink.rollInterval = 0",
    "a1.sinks.k1.sink.batchSize = 1000",
    "a1.sinks.k1.channel = c1",
    "",
  ].join("\n");
}

const dirSize = (d: string) => readdirSync(d).reduce((a, f) => a + statSync(join(d, f)).size, 0);
const vmHwmKb = (pid: number) => Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

interface Result {
  system: System;
  round: number;
  events: number;
  seconds: number;
  eventsPerSec: number;
  wallSeconds: number;
  peakRssMb: number;
}

async function runOnce(system: System, round: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `sbs-agent-${system}-`));
  const out = join(dir, "out");
  mkdirSync(out);
  const file = join(dir, "agent.properties");
  writeFileSync(file, conf(out));
  const want = expectedBytes(N);
  const t0 = performance.now();
  const child =
    system === "flume"
      ? spawn("bash", [FLUME_SH, "agent", file, "a1"], {
          cwd: ROOT,
          stdio: ["ignore", "ignore", "pipe"],
          env: { ...process.env, FLUME_LOG_LEVEL: "WARN", FLUME_HEAP_OPTS: "-Xmx1g" },
        })
      : spawn(process.execPath, ["bin/millrace.js", "agent", "-n", "a1", "-f", file, "--no-reload-conf"], {
          cwd: ROOT,
          stdio: ["ignore", "ignore", "pipe"],
          env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" },
        });
  let err = "";
  child.stderr!.on("data", (d) => (err = (err + d).slice(-4000)));
  let exited = false;
  child.once("exit", () => (exited = true));
  try {
    let first = 0;
    let size = 0;
    const deadline = Date.now() + 600_000;
    while (size < want) {
      if (exited) throw new Error(`${system} agent exited early:\n${err}`);
      if (Date.now() > deadline) throw new Error(`${system}: ${size}/${want} bytes after 600 s\n${err}`);
      await new Promise((r) => setTimeout(r, 5));
      size = dirSize(out);
      if (size > 0 && first === 0) first = performance.now();
    }
    const end = performance.now();
    const peak = vmHwmKb(child.pid!);
    // the delivery is complete and exact
    const lines = readdirSync(out).flatMap((f) => readFileSync(join(out, f), "utf8").split("\n").filter(Boolean));
    if (lines.length !== N) throw new Error(`${system}: ${lines.length} lines, expected ${N}`);
    const seen = new Uint8Array(N);
    for (const l of lines) seen[Number(l)] = 1;
    if (seen.some((x) => x === 0)) throw new Error(`${system}: some of 0..${N - 1} are missing`);
    const seconds = (end - first) / 1000;
    return {
      system,
      round,
      events: N,
      seconds,
      eventsPerSec: Math.round(N / seconds),
      wallSeconds: Number(((end - t0) / 1000).toFixed(2)),
      peakRssMb: Math.round(peak / 1024),
    };
  } finally {
    if (!exited) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(
  `machine: ${cpus().length} CPUs, node ${process.version}; seq (totalEvents ${N}) → memory channel → file_roll, ` +
    `batches of 1000`,
);
const results: Result[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const order: System[] = round % 2 ? ["millrace", "flume"] : ["flume", "millrace"];
  for (const s of order) {
    const r = await runOnce(s, round);
    console.log(
      `${s} round ${round}: ${r.events} events in ${r.seconds.toFixed(2)} s = ${r.eventsPerSec} events/s (wall ` +
        `incl. start-up ${r.wallSeconds} s; peak RSS ${r.peakRssMb} MB)`,
    );
    results.push(r);
  }
}
const of = (s: System, f: (r: Result) => number) => median(results.filter((r) => r.system === s).map(f));
const rows: Array<[string, number, number]> = [
  ["events/s (median)", of("millrace", (r) => r.eventsPerSec), of("flume", (r) => r.eventsPerSec)],
  ["delivery time (s, median)", of("millrace", (r) => r.seconds), of("flume", (r) => r.seconds)],
  ["wall incl. start-up (s, median)", of("millrace", (r) => r.wallSeconds), of("flume", (r) => r.wallSeconds)],
  ["peak RSS (MB, median)", of("millrace", (r) => r.peakRssMb), of("flume", (r) => r.peakRssMb)],
];
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
console.log("\n| metric | millrace | Flume 1.11.0 | millrace/Flume |\n|---|---:|---:|---:|");
for (const [name, m, f] of rows) console.log(`| ${name} | ${fmt(m)} | ${fmt(f)} | ${(m / f).toFixed(2)} |`);
mkdirSync(join(import.meta.dirname, "..", "results"), { recursive: true });
const out = join(import.meta.dirname, "..", "results", "side-by-side-agent-seq-latest.json");
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      params: { events: N },
      results,
      summary: rows.map(([metric, millrace, flume]) => ({ metric, millrace, flume, ratio: millrace / flume })),
    },
    null,
    2,
  )}\n`,
);
console.log(`\nsaved ${out}`);
