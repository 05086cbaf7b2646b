/**
 * Writes a synthetic tweet corpus (Twitter API v2 stream payloads) as JSON lines.
 *   tsx scripts/gen-corpus.ts --seed 42 --count 1000 --start 2025-01-01T00:00:00Z [--rate 20] [--out file]
 * The same arguments always give the same bytes.
 */
import { createWriteStream } from "node:fs";
import { generateCorpus } from "../src/social/generator.js";

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const seed = Number(arg("seed", "42"));
const count = Number(arg("count", "1000"));
const startText = arg("start", "2025-01-01T00:00:00Z")!;
const startMs = /^\d+$/.test(startText) ? Number(startText) : Date.parse(startText);
const rate = Number(arg("rate", "20"));
const outPath = arg("out");
if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 0 || !Number.isFinite(startMs) || !(rate > 0)) {
  console.error("usage: gen-corpus --seed N --count N --start ISO|ms [--rate perSec] [--out file]");
  process.exit(2);
}
const out: NodeJS.WritableStream = outPath ? createWriteStream(outPath) : process.stdout;
for (const p of generateCorpus({ seed, count, startMs, ratePerSec: rate })) {
  if (!out.write(`${JSON.stringify(p)}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
}
if (outPath) out.end();
