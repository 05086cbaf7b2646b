/**
 * The same Flume configurations on Apache Flume 1.11.0 (JDK, jars from
 * .interop-cache/flume-1.11.0/lib or $MILLRACE_FLUME_LIB) and on `millrace
 * agent`, one after the other on this machine, with the same load generator:
 *   1. http -> memory -> null: --clients keep-alive posters of JSON batches
 *      (--batch x --size B) for --seconds after a --warmup; events/s acknowledged
 *   2. netcat -> file -> file_roll: --events lines over --nc-clients connections
 *      (each line its own transaction, acked "OK"); events/s until all are
 *      acknowledged and until the sink drained them (channel EventTakeSuccessCount)
 * and each agent's RSS at the end and its peak (VmHWM). Flume runs with -Xmx1g.
 *
 *   npx tsx bench/side-by-side/agent.ts [--seconds 10 --warmup 5 --events 50000]
 */
import { mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../../test/helpers/net.js";
import { removeDir, tempDir } from "../../test/helpers/broker.js";
import {
  closeLoad,
  flumeAvailable,
  httpLoad,
  metrics,
  netcatFileRollConf,
  netcatLoad,
  rssKb,
  startAgentProcess,
  stopAgentProcess,
  type Impl,
} from "../agent-load.js";

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "8" },
    batch: { type: "string", default: "100" },
    size: { type: "string", default: "100" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "5" },
    events: { type: "string", default: "50000" },
    "nc-clients": { type: "string", default: "16" },
  },
});
const CLIENTS = Number(args.clients);
const BATCH = Number(args.batch);
const SIZE = Number(args.size);
const EVENTS = Number(args.events);
const mb = (kb: number) => Math.round(kb / 1024);
const f = (n: number) => Math.round(n).toLocaleString("en-US");

async function httpMemoryNull(impl: Impl): Promise<string> {
  const dir = tempDir("millrace-sbs-");
  const [port, mport] = [await freePort(), await freePort()];
  const conf = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = http
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = ${BATCH}
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = ${BATCH}
`;
  const child = await startAgentProcess(impl, conf, dir, mport);
  try {
    const idle = rssKb(child.pid!, "VmRSS");
    await httpLoad(port, { clients: CLIENTS, batch: BATCH, size: SIZE, seconds: Number(args.warmup) });
    const r = await httpLoad(port, { clients: CLIENTS, batch: BATCH, size: SIZE, seconds: Number(args.seconds) });
    const eps = (r.ok * BATCH) / r.seconds;
    return (
      `| ${impl} | http -> memory -> null | ${f(eps)} events/s acknowledged (${r.refused} batches refused ` +
      `with 503) | ${mb(idle)} MB | ${mb(rssKb(child.pid!, "VmRSS"))} MB | ` +
      `${mb(rssKb(child.pid!, "VmHWM"))} MB |`
    );
  } finally {
    await stopAgentProcess(child);
    removeDir(dir);
  }
}

async function netcatFileRoll(impl: Impl): Promise<string> {
  const dir = tempDir("millrace-sbs-");
  const [port, mport] = [await freePort(), await freePort()];
  const conf = netcatFileRollConf(port, dir, EVENTS);
  mkdirSync(join(dir, "out")); // Flume's file_roll does not create its directory
  const child = await startAgentProcess(impl, conf, dir, mport, port);
  try {
    const idle = rssKb(child.pid!, "VmRSS");
    const t0 = performance.now();
    const tAck = await netcatLoad(port, {
      events: EVENTS,
      clients: Number(args["nc-clients"]),
      size: SIZE,
      window: 200,
    });
    for (;;) {
      const taken = Number((await metrics(mport))["CHANNEL.c1"]?.EventTakeSuccessCount ?? 0);
      if (taken >= EVENTS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const tDrain = (performance.now() - t0) / 1000;
    return (
      `| ${impl} | netcat -> file -> file_roll | ${f(EVENTS / tAck)} events/s acknowledged, ` +
      `${f(EVENTS / tDrain)} drained | ${mb(idle)} MB | ${mb(rssKb(child.pid!, "VmRSS"))} MB | ` +
      `${mb(rssKb(child.pid!, "VmHWM"))} MB |`
    );
  } finally {
    await stopAgentProcess(child);
    removeDir(dir);
  }
}

if (!flumeAvailable()) {
  console.error("Apache Flume 1.11.0's lib/ is not at .interop-cache/flume-1.11.0/lib (or $MILLRACE_FLUME_LIB)");
  process.exit(1);
}
console.log(
  `${cpus().length} CPUs, ${process.version}; http: ${CLIENTS} clients, batches of ${BATCH} x ${SIZE} B, ` +
    `${args.seconds} s after ${args.warmup} s warm-up; netcat: ${EVENTS} lines over ${args["nc-clients"]} ` +
    `connections`,
);
console.log("| agent | pipeline | throughput | RSS idle | RSS after | RSS peak |");
console.log("|---|---|---|---|---|---|");
for (const impl of ["flume", "millrace"] as const) console.log(await httpMemoryNull(impl));
for (const impl of ["flume", "millrace"] as const) console.log(await netcatFileRoll(impl));
closeLoad();
