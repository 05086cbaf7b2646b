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
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/helpers/net.js";
import { removeDir, tempDir } from "../test/helpers/broker.js";

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
const line = "x".repeat(Number(args.size) - 1) + "\n";

function rssMb(pid: number, field = "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function metrics(port: number): Promise<Record<string, Record<string, string>> | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as Record<string, Record<string, string>>;
  } catch {
    return undefined;
  }
}

/** one connection: keeps up to WINDOW lines unacknowledged, sends n lines, resolves when n OKs came back */
function client(port: number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let sent = 0;
    let acked = 0;
    let buf = "";
    const pump = () => {
      let chunk = "";
      while (sent < n && sent - acked < WINDOW) {
        chunk += line;
        sent++;
      }
      if (chunk) s.write(chunk);
    };
    s.on("connect", pump);
    s.on("data", (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const reply = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (reply !== "OK") return reject(new Error(`netcat answered ${reply}`));
        acked++;
      }
      if (acked === n) {
        s.end();
        resolve();
      } else pump();
    });
    s.on("error", reject);
  });
}

async function main(): Promise<void> {
  const dir = tempDir("millrace-bench-nc-");
  const [port, mport] = [await freePort(), await freePort()];
  const conf = join(dir, "a.conf");
  writeFileSync(
    conf,
    `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${dir}/ckpt
a1.channels.c1.dataDirs = ${dir}/data
a1.channels.c1.capacity = ${EVENTS * 2}
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.minimumRequiredSpace = 1048576
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${dir}/out
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`,
  );
  const agent = spawn(process.execPath, ["bin/millrace.js", "agent", "-n", "a1", "-f", conf, "--no-reload-conf", "-Dflume.monitoring.type=http", `-Dflume.monitoring.port=${mport}`], {
    stdio: "ignore",
    env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" },
  });
  try {
    while (!(await metrics(mport))) await new Promise((r) => setTimeout(r, 50));
    const rssIdle = rssMb(agent.pid!);
    const t0 = performance.now();
    const per = Math.ceil(EVENTS / CLIENTS);
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(port, Math.min(per, EVENTS - i * per))));
    const tAck = (performance.now() - t0) / 1000;
    let drained = 0;
    while (drained < EVENTS) {
      drained = Number((await metrics(mport))?.["SINK.k1"]?.EventDrainSuccessCount ?? 0);
      if (drained < EVENTS) await new Promise((r) => setTimeout(r, 20));
    }
    const tDrain = (performance.now() - t0) / 1000;
    const rss = rssMb(agent.pid!);
    const hwm = rssMb(agent.pid!, "VmHWM");
    const f = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log(
      `netcat -> file -> file_roll: ${f(EVENTS / tAck)} events/s acknowledged, ${f(EVENTS / tDrain)} events/s drained to file_roll ` +
        `(${EVENTS} events of ${args.size} B, ${CLIENTS} connections, window ${WINDOW}; ${tAck.toFixed(1)} s / ${tDrain.toFixed(1)} s); agent RSS idle ${rssIdle} MB, after ${rss} MB (peak ${hwm} MB)`,
    );
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => agent.on("exit", r));
    removeDir(dir);
  }
}

await main();
