#!/usr/bin/env node
// Turns raw proxy captures into protocol fixtures (no dependencies).
//
//   node scripts/capture/build-fixtures.mjs --raw <scratch>/raw --out test/fixtures/protocol
//        [--reference <dir of Kafka's message JSON>] [--max 3] [--max-bytes 65536]
//
// <raw>/<client>/<scenario>/index.jsonl (written by proxy.mjs) lists request/response frames.
// For each (api, version, client) at most --max pairs are kept (preferring different scenarios
// and different sizes), skipping frames larger than --max-bytes and requests whose connection
// closed before the answer. Output:
//   <out>/<ApiName>/v<version>-<client>-<n>.request.bin   request header + body, no size prefix
//   <out>/<ApiName>/v<version>-<client>-<n>.response.bin  response header + body, no size prefix
//   <out>/manifest.json
// Earlier generated fixtures in <out> (v*-*.request.bin / .response.bin) are removed first.
// Header versions come from Kafka's own definitions ("flexibleVersions" in <Name>Request.json):
// request header v2 / response header v1 for flexible versions, v1 / v0 otherwise; ApiVersions
// responses always use response header v0.
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, "..", "..");
const rawDir = opt("--raw");
const outDir = path.resolve(opt("--out", path.join(root, "test", "fixtures", "protocol")));
const refDir = opt(
  "--reference",
  process.env.KAFKA_PROTOCOL_JSON ?? path.resolve(root, "..", "shared", "reference", "kafka-protocol"),
);
const MAX_PER_KEY = Number(opt("--max", "3"));
const MAX_BYTES = Number(opt("--max-bytes", String(64 * 1024)));
if (!rawDir) {
  console.error("usage: build-fixtures.mjs --raw <dir> [--out <dir>] [--reference <dir>]");
  process.exit(2);
}

// ---- Kafka's definitions: api key -> name, flexible version range -------------------------------
function readDefinitions(dir) {
  if (!fs.existsSync(dir)) {
    console.error(
      `build-fixtures: Kafka message definitions not found in ${dir} (set --reference or KAFKA_PROTOCOL_JSON)`,
    );
    process.exit(1);
  }
  const apis = new Map();
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith("Request.json")) continue;
    const text = fs.readFileSync(path.join(dir, f), "utf8").replace(/^\s*\/\/.*$/gm, "");
    const def = JSON.parse(text);
    if (def.type !== "request" || typeof def.apiKey !== "number") continue;
    apis.set(def.apiKey, {
      name: def.name.replace(/Request$/, ""),
      flexible: parseRange(def.flexibleVersions),
      valid: parseRange(def.validVersions),
    });
  }
  return apis;
}

function parseRange(s) {
  if (s === undefined || s === "none") return null;
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), Infinity];
  const [a, b] = s.split("-");
  return [Number(a), Number(b ?? a)];
}

const inRange = (r, v) => r !== null && v >= r[0] && v <= r[1];

const apis = readDefinitions(refDir);

function headerVersions(apiKey, apiVersion) {
  const api = apis.get(apiKey);
  const flexible = inRange(api.flexible, apiVersion);
  // ControlledShutdown v0 is the only request with header v0; it is never captured here.
  const requestHeaderVersion = apiKey === 7 && apiVersion === 0 ? 0 : flexible ? 2 : 1;
  const responseHeaderVersion = apiKey === 18 ? 0 : flexible ? 1 : 0;
  return { requestHeaderVersion, responseHeaderVersion };
}

const BROKER_CLIENT_ID = /^(broker-\d+-|AddPartitionsManager-)/;

// ---- gather candidates --------------------------------------------------------------------------
const candidates = new Map(); // key "apiKey/version/client" -> []
let total = 0;
let skippedLarge = 0;
let skippedUnanswered = 0;
for (const client of fs.readdirSync(rawDir).sort()) {
  const cdir = path.join(rawDir, client);
  if (!fs.statSync(cdir).isDirectory()) continue;
  for (const scenario of fs.readdirSync(cdir).sort()) {
    const sdir = path.join(cdir, scenario);
    const index = path.join(sdir, "index.jsonl");
    if (!fs.existsSync(index)) continue;
    const entries = fs
      .readFileSync(index, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .sort((a, b) => a.conn - b.conn || a.seq - b.seq);
    for (const e of entries) {
      total++;
      if (!apis.has(e.apiKey)) continue;
      if (e.unanswered) {
        skippedUnanswered++;
        continue;
      }
      if (e.requestSize > MAX_BYTES || (e.responseSize ?? 0) > MAX_BYTES) {
        skippedLarge++;
        continue;
      }
      const request = fs.readFileSync(path.join(sdir, e.request));
      const response = e.response ? fs.readFileSync(path.join(sdir, e.response)) : null;
      check(request, response, e, `${client}/${scenario}/${e.request}`);
      // the broker talks to itself through its advertised listener (the proxy) for transaction
      // markers and KIP-890 partition verification: those frames are the broker's, not the client's
      const who = BROKER_CLIENT_ID.test(e.clientId ?? "") ? "kafka-broker" : client;
      const key = `${e.apiKey}/${e.apiVersion}/${who}`;
      if (!candidates.has(key)) candidates.set(key, []);
      candidates
        .get(key)
        .push({ ...e, client: who, scenario: `${client}/${scenario}`, requestBytes: request, responseBytes: response });
    }
  }
}

function check(request, response, e, where) {
  const apiKey = request.readInt16BE(0);
  const apiVersion = request.readInt16BE(2);
  const corr = request.readInt32BE(4);
  if (apiKey !== e.apiKey || apiVersion !== e.apiVersion || corr !== e.correlationId) {
    throw new Error(`${where}: request header does not match the index`);
  }
  if (response && response.readInt32BE(0) !== corr) throw new Error(`${where}: response correlation id differs`);
}

// ---- choose up to MAX_PER_KEY per (api, version, client) ---------------------------------------
function choose(list) {
  const chosen = [];
  const seen = new Set();
  const sig = (c) => `${c.requestBytes.length}/${c.responseBytes?.length ?? -1}`;
  const take = (pred) => {
    for (const c of list) {
      if (chosen.length >= MAX_PER_KEY) return;
      if (chosen.includes(c) || seen.has(sig(c)) || !pred(c)) continue;
      chosen.push(c);
      seen.add(sig(c));
    }
  };
  const scenarios = new Set();
  // first one per scenario, then anything of a new size, then anything
  take((c) => {
    if (scenarios.has(c.scenario)) return false;
    scenarios.add(c.scenario);
    return true;
  });
  take(() => true);
  for (const c of list) {
    if (chosen.length >= MAX_PER_KEY) break;
    if (!chosen.includes(c)) chosen.push(c);
  }
  return chosen.sort((a, b) => list.indexOf(a) - list.indexOf(b));
}

// ---- write ----------------------------------------------------------------------------------------
fs.mkdirSync(outDir, { recursive: true });
for (const d of fs.readdirSync(outDir)) {
  const p = path.join(outDir, d);
  if (!fs.statSync(p).isDirectory()) continue;
  for (const f of fs.readdirSync(p)) {
    if (/^v\d+-.+-\d+\.(request|response)\.bin$/.test(f)) fs.rmSync(path.join(p, f));
  }
  if (fs.readdirSync(p).length === 0) fs.rmdirSync(p);
}

const manifest = [];
const keys = [...candidates.keys()].sort((a, b) => {
  const [ka, va, ca] = a.split("/");
  const [kb, vb, cb] = b.split("/");
  return Number(ka) - Number(kb) || Number(va) - Number(vb) || ca.localeCompare(cb);
});
for (const key of keys) {
  const chosen = choose(candidates.get(key));
  chosen.forEach((c, i) => {
    const api = apis.get(c.apiKey).name;
    const dir = path.join(outDir, api);
    fs.mkdirSync(dir, { recursive: true });
    const base = `v${c.apiVersion}-${c.client}-${i + 1}`;
    fs.writeFileSync(path.join(dir, `${base}.request.bin`), c.requestBytes);
    if (c.responseBytes) fs.writeFileSync(path.join(dir, `${base}.response.bin`), c.responseBytes);
    manifest.push({
      api,
      apiKey: c.apiKey,
      apiVersion: c.apiVersion,
      client: c.client,
      request: `${api}/${base}.request.bin`,
      response: c.responseBytes ? `${api}/${base}.response.bin` : null,
      ...headerVersions(c.apiKey, c.apiVersion),
      correlationId: c.correlationId,
      clientId: c.clientId,
      scenario: c.scenario,
    });
  });
}
fs.writeFileSync(path.join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);

// ---- coverage table ---------------------------------------------------------------------------------
const byApi = new Map();
for (const m of manifest) {
  if (!byApi.has(m.apiKey)) byApi.set(m.apiKey, { name: m.api, versions: new Map() });
  const v = byApi.get(m.apiKey).versions;
  if (!v.has(m.apiVersion)) v.set(m.apiVersion, new Set());
  v.get(m.apiVersion).add(m.client);
}
const lines = ["| api (key) | versions captured | clients per version |", "|---|---|---|"];
for (const [key, { name, versions }] of [...byApi].sort((a, b) => a[0] - b[0])) {
  const vs = [...versions.keys()].sort((a, b) => a - b);
  const detail = vs.map((v) => `v${v}: ${[...versions.get(v)].sort().join(", ")}`).join("; ");
  lines.push(`| ${name} (${key}) | ${compact(vs)} | ${detail} |`);
}
function compact(vs) {
  const out = [];
  for (let i = 0; i < vs.length; i++) {
    let j = i;
    while (j + 1 < vs.length && vs[j + 1] === vs[j] + 1) j++;
    out.push(i === j ? `${vs[i]}` : `${vs[i]}-${vs[j]}`);
    i = j;
  }
  return out.join(", ");
}
fs.writeFileSync(
  path.join(outDir, "COVERAGE.md"),
  `# Captured protocol fixtures: coverage\n\nGenerated by scripts/capture/build-fixtures.mjs.\n\n${lines.join("\n")}\n`,
);
console.log(lines.join("\n"));
console.error(
  `build-fixtures: ${manifest.length} fixtures from ${total} captured requests ` +
    `(${skippedLarge} skipped as > ${MAX_BYTES} bytes, ${skippedUnanswered} unanswered) -> ${outDir}`,
);
