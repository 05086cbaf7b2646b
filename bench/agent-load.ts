/**
 * Shared pieces of the agent benchmarks: starting an agent process (millrace,
 * or Apache Flume 1.11 from .interop-cache for side-by-side runs), Flume's
 * monitoring JSON, /proc memory figures, and the load generators (HTTP JSON
 * batches over keep-alive connections; netcat lines pipelined with acks).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";

export type Impl = "millrace" | "flume";
export const FLUME_LIB = process.env.MILLRACE_FLUME_LIB ?? join(".interop-cache", "flume-1.11.0", "lib");
export const flumeAvailable = () => existsSync(join(FLUME_LIB, "flume-ng-core-1.11.0.jar"));

export function rssKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : -1;
}

export async function metrics(mport: number): Promise<Record<string, Record<string, string>>> {
  return (await (await fetch(`http://127.0.0.1:${mport}/metrics`)).json()) as Record<string, Record<string, string>>;
}

/**
 * Starts agent a1 from `conf` (written to dir) with http monitoring on mport; resolves once it serves
 * (monitoring, and sourcePort when given).
 */
export async function startAgentProcess(
  impl: Impl,
  conf: string,
  dir: string,
  mport: number,
  sourcePort?: number,
): Promise<ChildProcess> {
  const f = join(dir, `${impl}-${mport}.conf`);
  writeFileSync(f, conf);
  const child =
    impl === "millrace"
      ? spawn(
          process.execPath,
          [
            "bin/millrace.js",
            "agent",
            "-n",
            "a1",
            "-f",
            f,
            "--no-reload-conf",
            "-Dflume.monitoring.type=http",
            `-Dflume.monitoring.port=${mport}`,
          ],
          {
            stdio: ["ignore", "ignore", "inherit"],
            env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" },
          },
        )
      : spawn(
          "java",
          [
            "-Xmx1g",
            `-Dlog4j.configurationFile=${join(FLUME_LIB, "..", "log4j2.properties")}`,
            "-Dflume.interop.log.level=WARN",
            "-Dflume.monitoring.type=http",
            `-Dflume.monitoring.port=${mport}`,
            "-cp",
            `${FLUME_LIB}/*`,
            "org.apache.flume.node.Application",
            "-n",
            "a1",
            "-f",
            f,
            "--no-reload-conf",
          ],
          { stdio: ["ignore", "ignore", "inherit"] },
        );
  // up when monitoring answers with its channel and the source's port takes connections
  // (Flume's netcat source has no counters in the monitoring JSON)
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const m = await metrics(mport);
      if (
        Object.keys(m).some((k) => k.startsWith("CHANNEL.")) &&
        (sourcePort === undefined || (await canConnect(sourcePort)))
      )
        return child;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${impl} agent did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

export async function stopAgentProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exit = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  await exit;
}

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 });
/** closes the load generator's keep-alive connections (so the process can exit) */
export function closeLoad(): void {
  keepAlive.destroy();
}
export function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        agent: keepAlive,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export function batchBody(batch: number, size: number): Buffer {
  const text = "x".repeat(size);
  return Buffer.from(JSON.stringify(Array.from({ length: batch }, () => ({ headers: {}, body: text }))));
}

/** `clients` concurrent posters for `seconds`; counts 200s and 503s (any other status throws) */
export async function httpLoad(
  port: number,
  o: { clients: number; batch: number; size: number; seconds: number; stopOn503?: boolean },
): Promise<{ ok: number; refused: number; seconds: number }> {
  const body = batchBody(o.batch, o.size);
  let ok = 0;
  let refused = 0;
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  let full = false;
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      while (performance.now() < end && !(o.stopOn503 && full)) {
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

/** one netcat connection: keeps up to `window` lines unacknowledged, sends n lines, resolves when n "OK"s came back */
export function netcatClient(port: number, n: number, line: string, window: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let sent = 0;
    let acked = 0;
    let buf = "";
    const pump = () => {
      let chunk = "";
      while (sent < n && sent - acked < window) {
        chunk += line;
        sent++;
      }
      if (chunk) s.write(chunk);
    };
    s.on("connect", pump);
    s.on("data", (d) => {
      buf += d.toString();
      let i: number;
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

/** sends `events` lines of `size` bytes over `clients` connections; seconds until all were acknowledged */
export async function netcatLoad(
  port: number,
  o: { events: number; clients: number; size: number; window: number },
): Promise<number> {
  const line = `${"x".repeat(o.size - 1)}\n`;
  const per = Math.ceil(o.events / o.clients);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.clients }, (_, i) =>
      netcatClient(port, Math.max(0, Math.min(per, o.events - i * per)), line, o.window),
    ),
  );
  return (performance.now() - t0) / 1000;
}

/** the netcat -> file channel -> file_roll configuration of the benchmarks (agent a1, all under dir) */
export function netcatFileRollConf(port: number, dir: string, events: number): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${dir}/ckpt
a1.channels.c1.dataDirs = ${dir}/data
a1.channels.c1.capacity = ${events * 2}
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.minimumRequiredSpace = 1048576
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${dir}/out
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`;
}
