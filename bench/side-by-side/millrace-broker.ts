/** Starts `millrace broker` as its own process for the side-by-side benchmarks. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/helpers/net.js";

const ROOT = join(import.meta.dirname, "..", "..");

export interface BrokerProcess {
  bootstrap: string;
  pid: number;
  stop(): Promise<void>;
}

/** A broker on a free loopback port over a fresh temp dir; `overrides` are server.properties keys. */
export async function startMillraceBroker(overrides: string[] = []): Promise<BrokerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "millrace-sbs-"));
  const bootstrap = `127.0.0.1:${await freePort()}`;
  const props = [`listeners=PLAINTEXT://${bootstrap}`, `log.dirs=${dir}`, ...overrides].flatMap((kv) => [
    "--override",
    kv,
  ]);
  const child = spawn(process.execPath, ["bin/millrace.js", "broker", ...props], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, MILLRACE_LOG_LEVEL: "info" },
  });
  await new Promise<void>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("millrace broker did not start in 60 s")), 60_000);
    child.stdout!.on("data", (d) => {
      buf += d;
      if (buf.includes("millrace broker started")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (c) => reject(new Error(`millrace broker exited ${c}`)));
  });
  child.stdout!.resume();
  return {
    bootstrap,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
