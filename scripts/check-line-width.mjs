#!/usr/bin/env node
// Fails, listing file:line, for every line longer than the formatter's line width in the tracked
// source files. Biome wraps code to that width but cannot wrap a long string or comment, so this
// check makes such lines errors too. The width is read from biome.jsonc (formatter.lineWidth).
//   node scripts/check-line-width.mjs [--count]   (--count: only the number of offending lines per file)
// Exit status: 0 when every line fits, 1 when some do not, 2 when the width cannot be read.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];
/** generated or recorded files, which nobody edits by hand */
const EXCLUDED = ["src/protocol/messages/", "test/fixtures/", "bench/results/"];

/** JSON with comments as Biome reads it: drops // and /* *\/ comments outside strings, and trailing commas */
export function parseJsonc(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"));
}

export function configuredWidth(root = ".") {
  const file = ["biome.jsonc", "biome.json"].map((f) => `${root}/${f}`).find((f) => existsSync(f));
  if (!file) throw new Error("no biome.jsonc or biome.json: cannot tell the line width");
  const width = parseJsonc(readFileSync(file, "utf8")).formatter?.lineWidth ?? 80; // Biome's default
  if (!Number.isInteger(width) || width <= 0) throw new Error(`${file}: formatter.lineWidth is not a positive integer`);
  return width;
}

/** the lines of `text` wider than `width` (in code points), as 1-based line numbers and widths */
export function longLines(text, width) {
  const found = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const w = [...line].length;
    if (w > width) found.push({ line: i + 1, width: w });
  });
  return found;
}

function trackedSources() {
  const out = execFileSync("git", ["ls-files", "-z"], { encoding: "utf8", maxBuffer: 64 << 20 });
  return out
    .split("\0")
    .filter((f) => EXTENSIONS.some((e) => f.endsWith(e)) && !EXCLUDED.some((d) => f.startsWith(d)))
    .filter((f) => existsSync(f)); // deleted in the work tree, not yet committed
}

function main() {
  const countOnly = process.argv.includes("--count");
  let width;
  try {
    width = configuredWidth();
  } catch (e) {
    console.error(`check-line-width: ${e.message}`);
    process.exit(2);
  }
  let total = 0;
  for (const file of trackedSources()) {
    const found = longLines(readFileSync(file, "utf8"), width);
    total += found.length;
    if (countOnly && found.length > 0) console.log(`${found.length}\t${file}`);
    else
      for (const f of found) console.log(`${file}:${f.line}: ${f.width} characters, over the line width of ${width}`);
  }
  if (total > 0) {
    console.error(`${total} line(s) over the line width of ${width} (biome.jsonc formatter.lineWidth)`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
