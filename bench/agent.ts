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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/helpers/net.js";
import { closeLoad, httpLoad, metrics, rssKb, startAgentProcess, stopAgentProcess } from "./agent-load.js";

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

const dir = mkdtempSync(join(tmpdir(), "millrace-bench-agent-"));
const startAgent = (conf: string, mport: number) => startAgentProcess("millrace", conf, dir, mport);
const load = (port: number, seconds: number, stopOn503 = false) =>
  httpLoad(port, { clients: CLIENTS, batch: BATCH, size: SIZE, seconds, stopOn503 });

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  clients: CLIENTS,
  batch: BATCH,
  size: SIZE,
};

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
  results.throughput = {
    eventsPerSecond: eps,
    accepted,
    drained,
    refused503: r.refused * BATCH,
    seconds: r.seconds,
    agentPeakRssMB: Math.round(rssKb(child.pid!, "VmHWM") / 1024),
  };
  console.log(
    `http -> memory -> null: ${eps.toLocaleString("en")} events/s (${CLIENTS} clients, batches of ${BATCH} x ` +
      `${SIZE} B; ${accepted} acknowledged, ${drained} drained, ${r.refused * BATCH} refused with 503)`,
  );
  await stopAgentProcess(child);
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
    `full memory channel (${CAPACITY} events of ${SIZE} B): RSS idle ${Math.round(idle / 1024)} MB, at full ` +
      `${Math.round(atFull / 1024)} MB, after ${r.refused} more requests refused with 503 ` +
      `${Math.round(after / 1024)} MB (peak ${Math.round(hwm / 1024)} MB)`,
  );
  await stopAgentProcess(child);
}

closeLoad();
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/agent-latest.json", `${JSON.stringify(results, null, 2)}\n`);
rmSync(dir, { recursive: true, force: true });
