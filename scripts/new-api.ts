/**
 * Scaffolds a new Kafka API in the broker: adds NAME to the generator's APIS
 * list (if missing), writes src/broker/handlers/<name>.ts and
 * test/broker/<name>.test.ts, and prints what to do next.
 *
 *   npm run new:api NAME [-- --dry-run] [-- --out DIR]
 *
 * NAME is Kafka's (CreateAcls, SaslHandshake, ...): scripts/kafka-messages must
 * hold NAMERequest.json. --out writes under DIR instead of the project (tests);
 * --dry-run prints the files instead of writing them. Existing files are kept.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { range } from "./gen-protocol-types.js";

export interface ScaffoldFile {
  path: string;
  text: string;
}

export interface Scaffold {
  files: ScaffoldFile[];
  /** the generator with NAME in its APIS list, or null when it already is */
  generator: ScaffoldFile | null;
  next: string[];
}

const root = join(import.meta.dirname, "..");

export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

function handlerText(name: string, min: number, max: number): string {
  const req = `${name}RequestData`;
  const res = `${name}ResponseData`;
  return `/**
 * ${name} v${min}-${max}. Scaffolded by scripts/new-api.ts: narrow the versions to
 * those implemented, then add ${camel(name)} to HANDLERS in ./index.ts.
 */
import { ApiKey } from "../../protocol/apis.js";
import type { Decoded } from "../../protocol/codec.js";
import type { ${req}, ${res} } from "../../protocol/messages/index.js";
import type { ApiHandler, RequestContext } from "./types.js";

function handle(_ctx: RequestContext, _req: Decoded<${req}>): ${res} {
  throw new Error("${name} is not implemented yet");
}

export const ${camel(name)}: ApiHandler<${req}, ${res}> = {
  key: ApiKey.${name},
  minVersion: ${min},
  maxVersion: ${max},
  handle,
};
`;
}

function testText(name: string): string {
  return `import { test, after } from "node:test";
import assert from "node:assert/strict";
import { KafkaConnection } from "../../src/client/connection.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { removeDir, startBroker } from "../helpers/broker.js";
import { ${camel(name)} } from "../../src/broker/handlers/${kebab(name)}.js";

test("ApiVersions advertises ${name}", async () => {
  const tb = await startBroker();
  after(async () => {
    await tb.stop();
    removeDir(tb.dir);
  });
  const conn = await KafkaConnection.open(tb.bootstrap);
  after(() => conn.close());
  const res = await conn.send(ApiKey.ApiVersions, 3, {});
  const entry = (res.apiKeys as { apiKey: number; minVersion: number; maxVersion: number }[]).find(
    (a) => a.apiKey === ApiKey.${name},
  );
  assert.deepEqual(entry, {
    apiKey: ApiKey.${name},
    minVersion: ${camel(name)}.minVersion,
    maxVersion: ${camel(name)}.maxVersion,
  });
});

// Next: send a ${name} request with conn.request(ApiKey.${name}, {...}) and check the answer.
`;
}

/** The generator's source with NAME appended to APIS, or null when it is there already. */
export function withApi(generator: string, name: string): string | null {
  const start = generator.indexOf("export const APIS = [");
  const end = generator.indexOf("];", start);
  if (start < 0 || end < 0) throw new Error("no APIS list in scripts/gen-protocol.ts");
  if (generator.slice(start, end).includes(`"${name}",`)) return null;
  return `${generator.slice(0, end)}  "${name}",\n${generator.slice(end)}`;
}

export function scaffold(name: string, out = root): Scaffold {
  if (!/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error(`"${name}" is not a Kafka API name (CreateAcls, ...)`);
  const def = join(root, "scripts", "kafka-messages", `${name}Request.json`);
  if (!existsSync(def)) throw new Error(`scripts/kafka-messages has no ${name}Request.json`);
  const request = JSON.parse(readFileSync(def, "utf8")) as { apiKey?: number; validVersions: string };
  const versions = range(request.validVersions);
  if (request.apiKey === undefined || !versions) throw new Error(`${name}Request.json is not an API request`);
  const genPath = join(out, "scripts", "gen-protocol.ts");
  const gen = withApi(readFileSync(genPath, "utf8"), name);
  const file = kebab(name);
  return {
    files: [
      { path: join(out, "src", "broker", "handlers", `${file}.ts`), text: handlerText(name, ...versions) },
      { path: join(out, "test", "broker", `${file}.test.ts`), text: testText(name) },
    ],
    generator: gen === null ? null : { path: genPath, text: gen },
    next: [
      "npm run gen:protocol   (src/protocol/messages gets its schemas and types)",
      `implement src/broker/handlers/${file}.ts and narrow its versions`,
      `add ${camel(name)} to HANDLERS in src/broker/handlers/index.ts`,
      `node --import tsx --test test/broker/${file}.test.ts, then test what it answers`,
    ],
  };
}

function main(argv: string[]): void {
  const dryRun = argv.includes("--dry-run");
  const outAt = argv.indexOf("--out");
  const out = outAt >= 0 ? argv[outAt + 1] : root;
  const name = argv.find((a, i) => !a.startsWith("--") && (outAt < 0 || i !== outAt + 1));
  if (!name) throw new Error("usage: npm run new:api NAME [-- --dry-run] [-- --out DIR]");
  const s = scaffold(name, out);
  const writes = s.generator ? [...s.files, s.generator] : s.files;
  for (const f of writes) {
    if (dryRun) {
      console.log(`--- ${f.path}\n${f === s.generator ? `(adds "${name}" to APIS)` : f.text}`);
    } else if (f !== s.generator && existsSync(f.path)) {
      console.log(`kept ${f.path} (exists)`);
    } else {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.text);
      console.log(`wrote ${f.path}`);
    }
  }
  console.log(`\nNext:\n${s.next.map((n, i) => `  ${i + 1}. ${n}`).join("\n")}`);
}

if (process.argv[1] === import.meta.filename) main(process.argv.slice(2));
