/**
 * Files written by output operations and the checkpoint: whole files are written
 * to a temporary name, fsynced and renamed, so a reader (or a restarted app)
 * sees either nothing or the complete content.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { toJsonLine } from "../formats/json-lines.js";

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some platforms cannot open directories; the rename is still atomic
  }
}

function writeFsync(path: string, data: string | Buffer): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** writes `path` atomically and durably (temp file, fsync, rename, fsync of the directory) */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  writeFsync(tmp, data);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

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
  const tmp = join(parent, `.${basename(dir)}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const parts = partitions.length ? partitions : [[]];
  parts.forEach((items, i) => {
    const text = items.map((x) => formatLine(x) + "\n").join("");
    writeFsync(join(tmp, `part-${String(i).padStart(5, "0")}`), text);
  });
  writeFsync(join(tmp, "_SUCCESS"), "");
  fsyncDir(tmp);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  fsyncDir(parent);
}
