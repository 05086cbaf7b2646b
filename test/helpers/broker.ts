/** Starts a real broker on an ephemeral loopback port over a fresh temp directory. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Broker } from "../../src/broker/broker.js";
import { loadBrokerConfig } from "../../src/broker/config.js";

export interface TestBroker {
  broker: Broker;
  bootstrap: string;
  dir: string;
  stop(): Promise<void>;
}

export function tempDir(prefix = "millrace-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startBroker(props: Record<string, string> = {}, dir = tempDir()): Promise<TestBroker> {
  const config = loadBrokerConfig({ props: { listeners: "PLAINTEXT://127.0.0.1:0", "log.dirs": dir, ...props } });
  const broker = await Broker.start(config, { logger: pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" }) });
  return {
    broker,
    bootstrap: broker.bootstrap(),
    dir,
    async stop() {
      await broker.stop();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
