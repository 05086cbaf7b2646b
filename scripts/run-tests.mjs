#!/usr/bin/env node
// Runs node's test runner over every *.test.ts file under the given folders (or the given files).
// Node 20's --test does not expand globs, so the files are listed here.
// The default suite (`npm test`) runs test/ without test/interop and test/browser,
// which need third-party programs, and test/recorded, which reads recorded data
// outside the clone (../shared) when it exists; each has its own script.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const roots = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith("--"));
const excluded =
  roots.length === 1 && roots[0] === "test" ? ["test/interop", "test/fixtures", "test/browser", "test/recorded"] : [];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const rel = relative(process.cwd(), p);
    if (excluded.some((e) => rel === e || rel.startsWith(`${e}/`))) continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(rel);
  }
  return out;
}

const missing = roots.filter((r) => !existsSync(r));
if (missing.length > 0) {
  console.error(`no such folder or file: ${missing.join(" ")}`);
  process.exit(1);
}
// a root is a folder (every *.test.ts under it) or one test file
const files = roots.flatMap((r) => (statSync(r).isDirectory() ? walk(r, []) : [relative(process.cwd(), r)])).sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(" ")}`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", ...passthrough, ...files],
  {
    stdio: "inherit",
  },
);
process.exit(res.status ?? 1);
