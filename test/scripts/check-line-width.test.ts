import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(import.meta.dirname, "..", "..", "scripts", "check-line-width.mjs");

/** a git repository with the given files (relative path -> text), all tracked unless listed in `untracked` */
function repo(files: Record<string, string>, untracked: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "line-width-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q");
  for (const [path, text] of Object.entries({ ...files, ...untracked })) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git("add", "--", ...Object.keys(files));
  return dir;
}

function check(dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONFIG = `{
  // a comment, as biome.jsonc allows
  "formatter": { "lineWidth": 20, }, /* and a trailing comma */
}
`;
const LONG = "x".repeat(21);
const FITS = "y".repeat(20);

test("check-line-width: lists file:line of each tracked source line over biome.jsonc's lineWidth, and fails", () => {
  const dir = repo(
    {
      "biome.jsonc": CONFIG,
      "src/a.ts": `${FITS}\n// ${LONG}\n${FITS}\r\n`,
      "scripts/b.mjs": `${LONG}\n`,
      "src/c.js": `"é${"é".repeat(19)}"\n`, // 22 characters, 42 bytes
      "src/fits.mts": `${FITS}\r\n${FITS}`,
      "README.md": `${LONG}\n`, // not a source file
      "src/protocol/messages/gen.ts": `${LONG}\n`, // generated
      "test/fixtures/f.ts": `${LONG}\n`,
      "bench/results/r.js": `${LONG}\n`,
    },
    { "src/untracked.ts": `${LONG}\n` },
  );
  try {
    const r = check(dir);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n").sort(), [
      "scripts/b.mjs:1: 21 characters, over the line width of 20",
      "src/a.ts:2: 24 characters, over the line width of 20",
      "src/c.js:1: 22 characters, over the line width of 20",
    ]);
    assert.match(r.stderr, /3 line\(s\) over the line width of 20/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("check-line-width: passes when every line fits, and reads biome.json when there is no biome.jsonc", () => {
  const dir = repo({ "biome.json": `{ "formatter": { "lineWidth": 21 } }`, "src/a.ts": `${LONG}\n${FITS}\n` });
  try {
    const r = check(dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("check-line-width: without a Biome config it fails rather than guess a width", () => {
  const dir = repo({ "src/a.ts": `${LONG}\n` });
  try {
    const r = check(dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no biome\.jsonc or biome\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
