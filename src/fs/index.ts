/**
 * Durable file primitives, one home for the whole package: atomic replace
 * (temp file, fsync, rename, fsync of the directory), directory fsync, and
 * full vectored writes/reads. The log, the file channel, streaming checkpoints
 * and outputs, and source position files all write through these.
 *
 * Both async (for the broker's event loop) and sync (for code that already runs
 * inside a synchronous step, such as a checkpoint taken between batches) forms.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { open, readFile, rename, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The temporary sibling an atomic write goes through: `<path>.tmp`, as Kafka names its checkpoint temps. */
export function tempPathFor(path: string): string {
  return `${path}.tmp`;
}

/** A hidden temporary sibling, `<dir>/.<name>.tmp`, for folders that readers list (streaming outputs). */
export function hiddenTempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}

/** fsync of a directory, so a rename or a new file in it survives a power loss. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsyncDir, synchronously. Platforms that cannot open a directory are tolerated (the rename stays atomic). */
export function fsyncDirSync(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` (created or truncated) and fsyncs it, synchronously. */
export function writeFileSyncDurable(path: string, data: string | Buffer): void {
  const fd = openSync(path, "w");
  try {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface AtomicWriteOptions {
  /** the temporary file's path; default `tempPathFor(path)` */
  tmp?: string;
  /** create the parent directory first */
  mkdir?: boolean;
}

const atomicChains = new Map<string, Promise<void>>();

/**
 * Replaces `path` with `data` so that a crash leaves either the old or the new
 * content, never a torn one: write a temp file, fsync it, rename it over, fsync
 * the directory. Concurrent writes of the same path are serialised (last call wins).
 */
export function writeFileAtomic(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  const prev = atomicChains.get(path) ?? Promise.resolve();
  const next = prev
    .catch(() => undefined)
    .then(async () => {
      const dir = dirname(path);
      if (opts.mkdir) mkdirSync(dir, { recursive: true });
      const tmp = opts.tmp ?? tempPathFor(path);
      const fh = await open(tmp, "w");
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      await fsyncDir(dir);
    });
  atomicChains.set(path, next);
  void next
    .finally(() => {
      if (atomicChains.get(path) === next) atomicChains.delete(path);
    })
    .catch(() => undefined);
  return next;
}

/** writeFileAtomic, synchronously. */
export function writeFileAtomicSync(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (opts.mkdir) mkdirSync(dir, { recursive: true });
  const tmp = opts.tmp ?? tempPathFor(path);
  writeFileSyncDurable(tmp, data);
  renameSync(tmp, path);
  fsyncDirSync(dir);
}

/** Writes all of `bufs` at `position` (writev, continuing after short writes). */
export async function writevFully(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let list = bufs;
  let pos = position;
  for (;;) {
    const total = list.reduce((n, b) => n + b.length, 0);
    if (total === 0) return;
    const { bytesWritten } = await fh.writev(list, pos);
    if (bytesWritten === total) return;
    if (bytesWritten <= 0) throw new Error(`writev wrote ${bytesWritten} of ${total} bytes`);
    pos += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of list) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    list = rest;
  }
}

/** Reads exactly `length` bytes at `position` unless the file ends first; returns what was read. */
export async function readFully(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** unlink that treats a missing file as done; true when a file was removed. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** rename that treats a missing source as done; true when something was renamed. */
export async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** The file's bytes, or null when it does not exist. */
export async function readFileIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}
