/**
 * Flume's TAILDIR source: tails every file matching its file groups
 * (`filegroups.<g> = /dir/regex-on-the-file-name`), one event per complete line.
 * Files are tracked by inode, so a rotated (renamed) file is read to its end and
 * the new file from its start. Positions are written to positionFile as Flume's
 * JSON `[{"inode":..,"pos":..,"file":..}]` after every committed batch and every
 * writePosInterval ms, replaced atomically and durably (src/fs: temp file, fsync,
 * rename, fsync of the directory); a restart resumes there, so committed
 * lines are neither lost nor repeated. Files idle for idleTimeout ms are closed
 * and reopened when they grow.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "pino";
import { writeFileAtomic } from "../../fs/index.js";
import type { ChannelProcessor, ComponentEnv, Context, Event, PollableSource, Status } from "../api.js";
import { SourceCounter } from "../counters.js";
import { DEFAULT_MAX_LINE_LENGTH, readLines } from "./lines.js";
import { putCounted } from "./put.js";

export interface FileGroup {
  name: string;
  dir: string;
  pattern: RegExp;
  headers: Record<string, string>;
}

export interface TaildirOptions {
  groups: FileGroup[];
  positionFile: string;
  batchSize?: number;
  skipToEnd?: boolean;
  byteOffsetHeader?: boolean;
  fileHeader?: boolean;
  fileHeaderKey?: string;
  idleTimeout?: number;
  writePosInterval?: number;
  /** bytes a line may have; a longer one is cut to it with a warning (default DEFAULT_MAX_LINE_LENGTH) */
  maxLineLength?: number;
  agentName?: string;
  logger?: Logger;
}

interface Tailed {
  inode: number;
  path: string;
  group: FileGroup;
  pos: number;
  fh: FileHandle | null;
  lastRead: number;
  /** no longer matches a pattern (rotated away): read to the end, then drop */
  gone: boolean;
}

export class TaildirSource implements PollableSource {
  readonly kind = "pollable" as const;
  readonly counter: SourceCounter;
  private cp: ChannelProcessor | null = null;
  private readonly files = new Map<number, Tailed>();
  private timer: NodeJS.Timeout | null = null;
  private saved: Map<number, number> = new Map();

  constructor(
    readonly name: string,
    readonly opts: TaildirOptions,
  ) {
    this.counter = new SourceCounter(opts.agentName ?? "agent", name);
  }

  batchSize(): number {
    return this.opts.batchSize ?? 100;
  }

  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }

  start(): void {
    mkdirSync(dirname(this.opts.positionFile), { recursive: true });
    try {
      const list = JSON.parse(readFileSync(this.opts.positionFile, "utf8")) as {
        inode: number;
        pos: number;
        file: string;
      }[];
      for (const p of list) this.saved.set(Number(p.inode), Number(p.pos));
    } catch {
      // no position file yet
    }
    this.scan(true);
    this.counter.register();
    this.timer = setInterval(
      () => void this.writePositions().catch(() => undefined),
      this.opts.writePosInterval ?? 3000,
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.writePositions();
    for (const t of this.files.values()) await t.fh?.close();
    this.files.clear();
    this.counter.unregister();
  }

  /** finds matching files; new inodes start at the saved position, 0, or the end (skipToEnd) */
  private scan(initial = false): void {
    const seen = new Set<number>();
    for (const g of this.opts.groups) {
      let names: string[];
      try {
        names = readdirSync(g.dir);
      } catch {
        continue;
      }
      for (const n of names) {
        if (!g.pattern.test(n)) continue;
        const path = join(g.dir, n);
        const st = statSync(path, { throwIfNoEntry: false, bigint: false });
        if (!st?.isFile()) continue;
        seen.add(st.ino);
        const t = this.files.get(st.ino);
        if (t) {
          t.path = path;
          t.gone = false;
          if (st.size < t.pos) t.pos = 0; // truncated in place: start over
          continue;
        }
        const saved = this.saved.get(st.ino);
        const pos = saved !== undefined && saved <= st.size ? saved : initial && this.opts.skipToEnd ? st.size : 0;
        this.files.set(st.ino, { inode: st.ino, path, group: g, pos, fh: null, lastRead: Date.now(), gone: false });
      }
    }
    for (const t of this.files.values()) if (!seen.has(t.inode)) t.gone = true;
  }

  async process(): Promise<Status> {
    this.scan();
    let moved = 0;
    const idle = this.opts.idleTimeout ?? 120_000;
    for (const t of [...this.files.values()]) {
      if (!t.fh) {
        try {
          t.fh = await open(t.path, "r");
        } catch {
          this.files.delete(t.inode);
          continue;
        }
        // the path may now be another inode (rotated between scan and open)
        const st = await t.fh.stat();
        if (st.ino !== t.inode) {
          await t.fh.close();
          t.fh = null;
          continue;
        }
      }
      for (;;) {
        const { lines, next, truncated } = await readLines(t.fh, t.pos, this.opts.batchSize ?? 100, {
          maxLineLength: this.opts.maxLineLength,
        });
        if (lines.length === 0) break;
        if (truncated > 0)
          this.opts.logger?.warn(
            {
              source: this.name,
              file: t.path,
              lines: truncated,
              maxLineLength: this.opts.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
            },
            "taildir: lines longer than the maximum were cut",
          );
        const events: Event[] = lines.map((l) => {
          const headers: Record<string, string> = { ...t.group.headers };
          if (this.opts.byteOffsetHeader) headers.byteoffset = String(l.offset);
          if (this.opts.fileHeader) headers[this.opts.fileHeaderKey ?? "file"] = t.path;
          return { headers, body: l.bytes };
        });
        try {
          await putCounted(this.counter, this.cp!, events);
        } catch (err) {
          this.opts.logger?.warn({ err, source: this.name }, "taildir: channel refused a batch, will retry");
          return "BACKOFF";
        }
        t.pos = next;
        t.lastRead = Date.now();
        moved += events.length;
        await this.writePositions();
        if (lines.length < (this.opts.batchSize ?? 100)) break;
      }
      if (t.gone) {
        // rotated away and read to its end
        await t.fh?.close();
        this.files.delete(t.inode);
      } else if (t.fh && Date.now() - t.lastRead > idle) {
        await t.fh.close();
        t.fh = null;
      }
    }
    return moved > 0 ? "READY" : "BACKOFF";
  }

  /**
   * Writes the position file: temp file, fsync, rename, fsync of the directory, so a
   * crash or power loss leaves the old or the new positions, never a torn file.
   * Concurrent calls are serialised by writeFileAtomic (the last one wins).
   */
  writePositions(): Promise<void> {
    const list = [...this.files.values()].map((t) => ({ inode: t.inode, pos: t.pos, file: t.path }));
    return writeFileAtomic(this.opts.positionFile, JSON.stringify(list));
  }
}

export function createTaildirSource(name: string, ctx: Context, env: ComponentEnv): TaildirSource {
  const groupNames = ctx.requireString("filegroups").split(/\s+/).filter(Boolean);
  const groups: FileGroup[] = groupNames.map((g) => {
    const key = `filegroups.${g}`;
    const spec = ctx.getString(key);
    if (!spec) throw ctx.error(key, "is required (a path whose file name may be a regular expression)");
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^${basename(spec)}$`);
    } catch {
      throw ctx.error(key, "has an invalid regular expression in its file name");
    }
    const headers: Record<string, string> = {};
    const hctx = ctx.sub(`headers.${g}`);
    for (const k of hctx.keys()) headers[k] = hctx.getString(k)!;
    return { name: g, dir: dirname(spec), pattern, headers };
  });
  const batchSize = ctx.getInteger("batchSize", 100);
  if (batchSize <= 0) throw ctx.error("batchSize", "must be positive");
  return new TaildirSource(name, {
    groups,
    positionFile: ctx.getString("positionFile", join(process.env.HOME ?? ".", ".flume", "taildir_position.json")),
    batchSize,
    skipToEnd: ctx.getBoolean("skipToEnd", false),
    byteOffsetHeader: ctx.getBoolean("byteOffsetHeader", false),
    fileHeader: ctx.getBoolean("fileHeader", false),
    fileHeaderKey: ctx.getString("fileHeaderKey", "file"),
    idleTimeout: ctx.getInteger("idleTimeout", 120_000),
    writePosInterval: ctx.getInteger("writePosInterval", 3000),
    agentName: env.agentName,
    logger: env.logger,
  });
}
