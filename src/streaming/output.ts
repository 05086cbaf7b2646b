/**
 * Files written by output operations: whole files are written to a hidden
 * temporary name, fsynced and renamed (through src/fs), so a reader (or a
 * restarted app) sees either nothing or the complete content.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fsyncDirSync, hiddenTempPathFor, writeFileSyncDurable } from "../fs/index.js";
import { toJsonLine } from "../formats/json-lines.js";

/** one element per line: strings as they are, anything else as a JSON line */
export function formatLine(x: unknown): string {
  if (typeof x === "string") return x;
  return toJsonLine(x) ?? String(x);
}

/**
 * Writes a directory of part files (part-00000, ...) plus _SUCCESS. The files go
 * to a temporary sibling directory first, which then replaces `dir`; a re-run
 * batch therefore replaces its earlier output with the same bytes.
 */
export function writeTextDir(dir: string, partitions: unknown[][]): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = hiddenTempPathFor(dir);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const parts = partitions.length ? partitions : [[]];
  parts.forEach((items, i) => {
    const text = items.map((x) => formatLine(x) + "\n").join("");
    writeFileSyncDurable(join(tmp, `part-${String(i).padStart(5, "0")}`), text);
  });
  writeFileSyncDurable(join(tmp, "_SUCCESS"), "");
  fsyncDirSync(tmp);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  fsyncDirSync(parent);
}
