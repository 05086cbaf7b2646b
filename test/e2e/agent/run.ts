/** Spawning `node bin/millrace.js agent ...` for end-to-end tests. */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";

export interface AgentRun {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

/** starts the agent CLI asynchronously; stdout/stderr are collected */
export function runAgent(args: string[], env: Record<string, string> = {}): AgentRun {
  const child = spawn(process.execPath, ["bin/millrace.js", "agent", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

export { waitFor } from "../../helpers/wait.js";

/** SIGTERM, and the agent exits 0 */
export async function stopAgent(r: AgentRun): Promise<void> {
  if (r.child.exitCode !== null) return;
  r.child.kill("SIGTERM");
  assert.equal(await r.exit, 0, r.err());
}

/** Flume's monitoring JSON, or undefined while the agent is not serving it */
export async function monitoring(port: number): Promise<Record<string, Record<string, string>> | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    return (await r.json()) as Record<string, Record<string, string>>;
  } catch {
    return undefined;
  }
}
