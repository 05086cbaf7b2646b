/**
 * netcat -> file channel -> file_roll, through the real runtime: `millrace agent`
 * runs as its own process with this config; this process opens --clients TCP
 * connections to the netcat source and pipelines lines on each (the source puts
 * every line in its own transaction, as Flume's does, and answers "OK" once the
 * file channel has it on disk). Reports events/s acknowledged, and events/s
 * until file_roll has drained them all (EventDrainSuccessCount), plus the
 * agent's RSS.
 *
 *   npx tsx bench/agent-netcat-file.ts [--events 100000 --clients 16 --size 100 --window 200]
 */
import { parseArgs } from "node:util";
import { freePort } from "../test/helpers/net.js";
import { removeDir, tempDir } from "../test/helpers/broker.js";
import { metrics, netcatFileRollConf, netcatLoad, rssKb, startAgentProcess, stopAgentProcess } from "./agent-load.js";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    clients: { type: "string", default: "16" },
    size: { type: "string", default: "100" },
    window: { type: "string", default: "200" },
  },
});
const EVENTS = Number(args.events);
const CLIENTS = Number(args.clients);
const WINDOW = Number(args.window);

async function main(): Promise<void> {
  const dir = tempDir("millrace-bench-nc-");
  const [port, mport] = [await freePort(), await freePort()];
  const conf = netcatFileRollConf(port, dir, EVENTS);
  const agent = await startAgentProcess("millrace", conf, dir, mport);
  try {
    const rssIdle = Math.round(rssKb(agent.pid!, "VmRSS") / 1024);
    const t0 = performance.now();
    const tAck = await netcatLoad(port, { events: EVENTS, clients: CLIENTS, size: Number(args.size), window: WINDOW });
    let drained = 0;
    while (drained < EVENTS) {
      drained = Number((await metrics(mport))?.["SINK.k1"]?.EventDrainSuccessCount ?? 0);
      if (drained < EVENTS) await new Promise((r) => setTimeout(r, 20));
    }
    const tDrain = (performance.now() - t0) / 1000;
    const rss = Math.round(rssKb(agent.pid!, "VmRSS") / 1024);
    const hwm = Math.round(rssKb(agent.pid!, "VmHWM") / 1024);
    const f = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log(
      `netcat -> file -> file_roll: ${f(EVENTS / tAck)} events/s acknowledged, ` +
        `${f(EVENTS / tDrain)} events/s drained to file_roll ` +
        `(${EVENTS} events of ${args.size} B, ${CLIENTS} connections, window ${WINDOW}; ${tAck.toFixed(1)} s / ` +
        `${tDrain.toFixed(1)} s); agent RSS idle ${rssIdle} MB, after ${rss} MB (peak ${hwm} MB)`,
    );
  } finally {
    await stopAgentProcess(agent);
    removeDir(dir);
  }
}

await main();
