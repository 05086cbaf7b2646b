/**
 * Agent benchmark: http -> memory -> null events/s, and memory at a full channel.
 * The agent runs as its own process (`millrace agent`); load comes from this
 * process: N concurrent HTTP clients (keep-alive) posting JSON batches.
 *
 *   npm run bench:agent [-- --clients 8 --batch 100 --size 100 --seconds 10 --capacity 100000]
 *
 * 1. throughput: http -> memory (capacity 10000, transactionCapacity = batch) -> null
 *    (batchSize = batch); events/s = events acknowledged with 200 / seconds; the sink's
 *    EventDrainSuccessCount is read from the monitoring JSON to check they all drained.
 * 2. full channel: http -> memory (capacity --capacity, no sink, keep-alive 0); post until
 *    503, then keep posting for a few seconds; VmRSS/VmHWM of the agent before, at full
 *    and after the rejected posts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/helpers/net.js";

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "8" },
    batch: { type: "string", default: "100" },
    size: { type: "string", default: "100" },
    seconds: { type: "string", default: "10" },
    capacity: { type: "string", default: "100000" },
    "reject-seconds": { type: "string", default: "10" },
  },
});
const CLIENTS = Number(args.clients);
const BATCH = Number(args.batch);
const SIZE = Number(args.size);
const SECONDS = Number(args.seconds);
const CAPACITY = Number(args.capacity);
// (the full-channel phase keeps posting for --reject-seconds after the channel is full)

function rssKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : -1;
}

const dir = mkdtempSync(join(tmpdir(), "millrace-bench-agent-"));

async function startAgent(conf: string, mport: number): Promise<ChildProcess> {
  const f = join(dir, `agent-${mport}.conf`);
  writeFileSync(f, conf);
  const child = spawn(process.execPath, ["bin/millrace.js", "agent", "-n", "a1", "-f", f, "--no-reload-conf", "-Dflume.monitoring.type=http", `-Dflume.monitoring.port=${mport}`], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" },
  });
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${mport}/metrics`);
      return child;
    } catch {
      if (i > 600) throw new Error("agent did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function stopAgent(child: ChildProcess): Promise<void> {
  const exit = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  await exit;
}

async function metrics(mport: number): Promise<Record<string, Record<string, string>>> {
  return (await (await fetch(`http://127.0.0.1:${mport}/metrics`)).json()) as Record<string, Record<string, string>>;
}

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 });
function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", agent: keepAlive, headers: { "content-type": "application/json", "content-length": body.length } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function batchBody(): Buffer {
  const text = "x".repeat(SIZE);
  return Buffer.from(JSON.stringify(Array.from({ length: BATCH }, () => ({ headers: {}, body: text }))));
}

async function load(port: number, seconds: number, stopOn503 = false): Promise<{ ok: number; refused: number; seconds: number }> {
  const body = batchBody();
  let ok = 0;
  let refused = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let full = false;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end && !(stopOn503 && full)) {
        const s = await post(port, body);
        if (s === 200) ok++;
        else if (s === 503) {
          refused++;
          full = true;
        } else throw new Error(`unexpected status ${s}`);
      }
    }),
  );
  return { ok, refused, seconds: (performance.now() - t0) / 1000 };
}

const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, clients: CLIENTS, batch: BATCH, size: SIZE };

// ---- 1. throughput
{
  const [port, mport] = [await freePort(), await freePort()];
  const conf = `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = http
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = ${Math.max(100, BATCH)}
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = ${Math.max(100, BATCH)}
a1.sinks.k1.runner.backoffSleepIncrement = 1
a1.sinks.k1.runner.maxBackoffSleep = 10
`;
  const child = await startAgent(conf, mport);
  await load(port, 2); // warm-up
  const before = Number((await metrics(mport))["SINK.k1"].EventDrainSuccessCount);
  const r = await load(port, SECONDS);
  const accepted = r.ok * BATCH;
  let drained = 0;
  for (let i = 0; i < 200; i++) {
    drained = Number((await metrics(mport))["SINK.k1"].EventDrainSuccessCount) - before;
    if (drained >= accepted) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const eps = Math.round(accepted / r.seconds);
  results.throughput = { eventsPerSecond: eps, accepted, drained, refused503: r.refused * BATCH, seconds: r.seconds, agentPeakRssMB: Math.round(rssKb(child.pid!, "VmHWM") / 1024) };
  console.log(`http -> memory -> null: ${eps.toLocaleString("en")} events/s (${CLIENTS} clients, batches of ${BATCH} x ${SIZE} B; ${accepted} acknowledged, ${drained} drained, ${r.refused * BATCH} refused with 503)`);
  await stopAgent(child);
}

// ---- 2. memory at a full channel
{
  const [port, mport] = [await freePort(), await freePort()];
  const conf = `
a1.sources = r1
a1.channels = c1
a1.sources.r1.type = http
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = ${CAPACITY}
a1.channels.c1.transactionCapacity = ${BATCH}
a1.channels.c1.keep-alive = 0
`;
  const child = await startAgent(conf, mport);
  const idle = rssKb(child.pid!, "VmRSS");
  await load(port, 600, true);
  const m = await metrics(mport);
  const atFull = rssKb(child.pid!, "VmRSS");
  const r = await load(port, Number(args["reject-seconds"]));
  const after = rssKb(child.pid!, "VmRSS");
  const hwm = rssKb(child.pid!, "VmHWM");
  results.fullChannel = {
    capacity: CAPACITY,
    channelSize: Number(m["CHANNEL.c1"].ChannelSize),
    bodyBytes: CAPACITY * SIZE,
    idleRssMB: Math.round(idle / 1024),
    fullRssMB: Math.round(atFull / 1024),
    afterRejectsRssMB: Math.round(after / 1024),
    peakRssMB: Math.round(hwm / 1024),
    rejectedRequestsPerSecond: Math.round(r.refused / r.seconds),
  };
  console.log(
    `full memory channel (${CAPACITY} events of ${SIZE} B): RSS idle ${Math.round(idle / 1024)} MB, at full ${Math.round(atFull / 1024)} MB, after ${r.refused} more requests refused with 503 ${Math.round(after / 1024)} MB (peak ${Math.round(hwm / 1024)} MB)`,
  );
  await stopAgent(child);
}

keepAlive.destroy();
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/agent-latest.json", JSON.stringify(results, null, 2) + "\n");
rmSync(dir, { recursive: true, force: true });
