/**
 * Extracts the facts from Apache Kafka's JSON message definitions
 * (clients/src/main/resources/common/message/*.json) into
 * scripts/kafka-messages/*.json, the input of scripts/gen-protocol.ts.
 * Kept: names, types, versions (valid, flexible, nullable, tagged, deprecated),
 * tags, defaults, apiKey, type, listeners, commonStructs, entityType, mapKey,
 * ignorable, zeroCopy. Dropped: every "about" string and every comment.
 *
 *   npx tsx scripts/extract-kafka-messages.ts <definitions dir>
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

const MESSAGE_KEYS = [
  "apiKey",
  "type",
  "listeners",
  "name",
  "validVersions",
  "flexibleVersions",
  "deprecatedVersions",
  "latestVersionUnstable",
  "fields",
  "commonStructs",
];
const FIELD_KEYS = [
  "name",
  "type",
  "versions",
  "nullableVersions",
  "taggedVersions",
  "tag",
  "flexibleVersions",
  "default",
  "ignorable",
  "entityType",
  "mapKey",
  "zeroCopy",
  "fields",
];

type Json = { [k: string]: unknown };

/** Kafka's definitions are JSON with `//` line comments (never inside strings). */
export function stripComments(text: string): string {
  return text
    .split("\n")
    .filter((l) => !l.trim().startsWith("//"))
    .join("\n");
}

function pick(o: Json, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) {
    if (o[k] === undefined) continue;
    out[k] = k === "fields" ? (o[k] as Json[]).map((f) => pick(f, FIELD_KEYS)) : o[k];
  }
  return out;
}

/** The facts of one definition: fields in their order, commonStructs with their fields. */
export function facts(definition: Json): Json {
  const m = pick(definition, MESSAGE_KEYS);
  if (Array.isArray(definition.commonStructs)) {
    m.commonStructs = (definition.commonStructs as Json[]).map((s) => pick(s, ["name", "versions", "fields"]));
  }
  return m;
}

function main(): void {
  const src = process.argv[2];
  if (!src) throw new Error("usage: extract-kafka-messages.ts <Kafka's common/message directory>");
  const out = join(import.meta.dirname, "kafka-messages");
  mkdirSync(out, { recursive: true });
  let n = 0;
  for (const file of readdirSync(src).sort()) {
    if (!file.endsWith(".json")) continue;
    const def = JSON.parse(stripComments(readFileSync(join(src, file), "utf8"))) as Json;
    writeFileSync(join(out, file), `${JSON.stringify(facts(def))}\n`);
    n++;
  }
  // One line per field where it fits: the house formatter (biome.json) lays the files out.
  execFileSync(join(import.meta.dirname, "..", "node_modules", ".bin", "biome"), ["format", "--write", out], {
    stdio: "inherit",
  });
  console.log(`wrote the facts of ${n} definitions to ${out}`);
}

if (process.argv[1] === import.meta.filename) main();
