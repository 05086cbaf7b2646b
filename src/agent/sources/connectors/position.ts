/**
 * A source's resume position (a Jetstream cursor, an SSE Last-Event-ID) in a
 * small file, replaced atomically and durably through src/fs (temp file, fsync,
 * rename, fsync of the directory) so a crash or power loss leaves either the old
 * or the new position, never a torn or lost one.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomicSync } from "../../../fs/index.js";

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
  writeFileAtomicSync(file, value + "\n", { mkdir: true });
}
