/**
 * A source's resume position (a Jetstream cursor, an SSE Last-Event-ID) in a
 * small file, replaced atomically (write a temp file, fsync, rename) so a crash
 * leaves either the old or the new position, never a torn one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export function readPosition(file: string): string | undefined {
  try {
    const s = readFileSync(file, "utf8").trim();
    return s === "" ? undefined : s;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export function writePosition(file: string, value: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, value + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
