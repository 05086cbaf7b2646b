/**
 * `millrace storage add-scram 'SCRAM-SHA-256=[name=alice,password=alice-secret]' [-c server.properties]`:
 * creates SCRAM users offline (the broker stopped), like `kafka-storage format --add-scram`,
 * so a fresh SASL broker is never open. Stored salted in the log dir; the password is never written.
 */
import { Command } from "commander";
import { mkdirSync } from "node:fs";
import { loadBrokerConfig } from "../broker/config.js";
import { ConfigError } from "../errors.js";
import {
  SCRAM_MIN_ITERATIONS,
  isScramMechanism,
  scramCredential,
  type ScramMechanism,
} from "../security/sasl/scram.js";
import { ScramCredentialStore } from "../security/stores.js";

export interface ScramSpec {
  mechanism: ScramMechanism;
  name: string;
  password: string;
  iterations: number;
}

/** Parses Kafka's --add-scram form: MECHANISM=[name=...,password=...,iterations=...]. */
export function parseAddScram(spec: string): ScramSpec {
  const m = /^([A-Z0-9-]+)=\[(.*)\]$/s.exec(spec.trim());
  const bad = (msg: string) => new ConfigError("MR_CONFIG_INVALID", `--add-scram: ${msg}`);
  if (!m) throw bad("expected SCRAM-SHA-256=[name=alice,password=...] or SCRAM-SHA-512=[...]");
  if (!isScramMechanism(m[1])) throw bad(`${m[1]} is not SCRAM-SHA-256 or SCRAM-SHA-512`);
  const fields = new Map<string, string>();
  for (const kv of m[2].match(/([a-z]+)=("(?:[^"\\]|\\.)*"|[^,]*)/g) ?? []) {
    const i = kv.indexOf("=");
    let v = kv.slice(i + 1);
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    fields.set(kv.slice(0, i), v);
  }
  for (const k of fields.keys())
    if (!["name", "password", "iterations"].includes(k))
      throw bad(`${k} is not supported (name, password, iterations)`);
  const name = fields.get("name");
  const password = fields.get("password");
  if (!name) throw bad("name is required");
  if (!password) throw bad("password is required");
  const iterations = Number(fields.get("iterations") ?? SCRAM_MIN_ITERATIONS);
  return { mechanism: m[1], name, password, iterations };
}

export function storageCommand(): Command {
  const storage = new Command("storage").description("offline storage tools (like kafka-storage)");
  storage
    .command("add-scram")
    .description("add or replace SCRAM users in the broker's log dir (run with the broker stopped)")
    .argument("<spec...>", "SCRAM-SHA-256=[name=alice,password=alice-secret] (iterations=N optional)")
    .option("-c, --config <server.properties>", "the broker's server.properties (for log.dirs)")
    .option(
      "--override <key=value>",
      "set a broker config, after the file (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action((specs: string[], opts: { config?: string; override: string[] }) => {
      const parsed = specs.map(parseAddScram);
      const config = loadBrokerConfig({ file: opts.config, overrides: opts.override });
      mkdirSync(config.logDir, { recursive: true });
      const store = ScramCredentialStore.open(config.logDir);
      for (const s of parsed) {
        store.upsertSync(s.mechanism, s.name, scramCredential(s.mechanism, s.password, s.iterations));
        process.stdout.write(
          `added ${s.mechanism} credential for user ${s.name} (${s.iterations} iterations) in ${store.path}\n`,
        );
      }
    });
  return storage;
}
