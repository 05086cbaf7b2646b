/**
 * Flume's spooling directory source: files dropped into spoolDir are read line
 * by line (deserializer LINE, maxLineLength) and sent in batches. A file is
 * renamed to <name><fileSuffix> (deletePolicy never) or deleted (immediate) only
 * after all its events were committed to the channel. The position inside the
 * current file is kept in trackerDir so a restart resumes there.
 *
 * A file that changes while being read (size or mtime differ from when it was
 * opened), or a completed name that already exists, is fatal as in Flume: the
 * source logs it, counts EventReadFail and stops consuming until restarted.
 * Files starting with "." are ignored, as are names ending in fileSuffix.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { open, readFile, rename, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, isAbsolute, join } from "node:path";
import type { Logger } from "pino";
import {
  AgentError,
  type ChannelProcessor,
  type ComponentEnv,
  type Context,
  type Event,
  type PollableSource,
  type Status,
} from "../api.js";
import { SourceCounter } from "../counters.js";
import { readLines } from "./lines.js";
import { putCounted } from "./put.js";
import { writeFileAtomic } from "../../fs/index.js";

export interface SpoolDirOptions {
  spoolDir: string;
  fileSuffix?: string;
  deletePolicy?: "never" | "immediate";
  fileHeader?: boolean;
  fileHeaderKey?: string;
  basenameHeader?: boolean;
  basenameHeaderKey?: string;
  includePattern?: string;
  ignorePattern?: string;
  batchSize?: number;
  inputCharset?: string;
  maxLineLength?: number;
  consumeOrder?: "oldest" | "youngest" | "random";
  trackerDir?: string;
  agentName?: string;
  logger?: Logger;
}

interface Current {
  path: string;
  fh: FileHandle;
  pos: number;
  size: number;
  mtimeMs: number;
  eof: boolean;
}

export class SpoolDirSource implements PollableSource {
  readonly kind = "pollable" as const;
  readonly counter: SourceCounter;
  private cp: ChannelProcessor | null = null;
  private cur: Current | null = null;
  private readonly include: RegExp;
  private readonly ignore: RegExp;
  private readonly trackerDir: string;
  private readonly decoder: TextDecoder;
  /** set when the source hit a fatal error (file changed, name reused) */
  fatal: Error | null = null;
  /** files completed (renamed or deleted), in order */
  readonly completed: string[] = [];

  constructor(
    readonly name: string,
    readonly opts: SpoolDirOptions,
  ) {
    this.counter = new SourceCounter(opts.agentName ?? "agent", name);
    this.include = new RegExp(opts.includePattern ?? "^.*$");
    this.ignore = new RegExp(opts.ignorePattern ?? "^$");
    const t = opts.trackerDir ?? ".flumespool";
    this.trackerDir = isAbsolute(t) ? t : join(opts.spoolDir, t);
    this.decoder = new TextDecoder(opts.inputCharset ?? "utf-8");
  }

  batchSize(): number {
    return this.opts.batchSize ?? 100;
  }

  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }

  start(): void {
    if (!existsSync(this.opts.spoolDir))
      throw new AgentError("MR_AGENT_SPOOLDIR_MISSING", `spoolDir ${this.opts.spoolDir} does not exist`);
    mkdirSync(this.trackerDir, { recursive: true });
    this.counter.register();
  }

  async stop(): Promise<void> {
    await this.cur?.fh.close();
    this.cur = null;
    this.counter.unregister();
  }

  private get metaPath(): string {
    return join(this.trackerDir, ".flumespool-main.meta");
  }

  private candidates(): string[] {
    const suffix = this.opts.fileSuffix ?? ".COMPLETED";
    const files: { path: string; mtime: number; name: string }[] = [];
    for (const name of readdirSync(this.opts.spoolDir)) {
      if (name.startsWith(".") || name.endsWith(suffix)) continue;
      if (!this.include.test(name) || this.ignore.test(name)) continue;
      const path = join(this.opts.spoolDir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      files.push({ path, mtime: st.mtimeMs, name });
    }
    const order = this.opts.consumeOrder ?? "oldest";
    if (order === "random") {
      for (let i = files.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [files[i], files[j]] = [files[j]!, files[i]!];
      }
    } else {
      const sign = order === "oldest" ? 1 : -1;
      files.sort((a, b) => sign * (a.mtime - b.mtime) || a.name.localeCompare(b.name));
    }
    return files.map((f) => f.path);
  }

  private async openNext(): Promise<boolean> {
    const next = this.candidates()[0];
    if (!next) return false;
    const fh = await open(next, "r");
    const st = await fh.stat();
    let pos = 0;
    try {
      const meta = JSON.parse(await readFile(this.metaPath, "utf8")) as { file: string; pos: number };
      if (meta.file === next && meta.pos <= st.size) pos = meta.pos;
    } catch {
      // no tracker: from the start
    }
    this.cur = { path: next, fh, pos, size: st.size, mtimeMs: st.mtimeMs, eof: false };
    return true;
  }

  private async checkUnchanged(c: Current): Promise<void> {
    const st = await c.fh.stat();
    if (st.size !== c.size || st.mtimeMs !== c.mtimeMs)
      throw new AgentError(
        "MR_AGENT_SPOOLDIR_FILE_CHANGED",
        `file ${c.path} has been modified since being read (spooled files must not change)`,
      );
  }

  async process(): Promise<Status> {
    if (this.fatal) return "BACKOFF";
    try {
      return await this.step();
    } catch (err) {
      this.fatal = err as Error;
      this.counter.inc("EventReadFail");
      this.opts.logger?.error(
        { err, source: this.name },
        "spooldir: fatal error, the source stops consuming until restarted",
      );
      return "BACKOFF";
    }
  }

  private async step(): Promise<Status> {
    if (!this.cur && !(await this.openNext())) return "BACKOFF";
    const c = this.cur!;
    await this.checkUnchanged(c);
    const { lines, next } = await readLines(c.fh, c.pos, this.opts.batchSize ?? 100, {
      eofIsLineEnd: true,
      maxLineLength: this.opts.maxLineLength ?? 2048,
    });
    if (lines.length === 0) {
      await this.complete(c);
      return "READY";
    }
    const events: Event[] = lines.map((l) => {
      const headers: Record<string, string> = {};
      if (this.opts.fileHeader) headers[this.opts.fileHeaderKey ?? "file"] = c.path;
      if (this.opts.basenameHeader) headers[this.opts.basenameHeaderKey ?? "basename"] = basename(c.path);
      const body =
        this.opts.inputCharset && this.opts.inputCharset.toLowerCase() !== "utf-8"
          ? Buffer.from(this.decoder.decode(l.bytes))
          : l.bytes;
      return { headers, body };
    });
    try {
      await putCounted(this.counter, this.cp!, events);
    } catch (err) {
      this.opts.logger?.warn({ err, source: this.name }, "spooldir: channel refused a batch, will retry");
      return "BACKOFF";
    }
    c.pos = next;
    // the position file, replaced atomically and durably like TAILDIR's
    await writeFileAtomic(this.metaPath, JSON.stringify({ file: c.path, pos: c.pos }));
    return "READY";
  }

  private async complete(c: Current): Promise<void> {
    await this.checkUnchanged(c);
    await c.fh.close();
    this.cur = null;
    if ((this.opts.deletePolicy ?? "never") === "immediate") await unlink(c.path);
    else {
      const done = c.path + (this.opts.fileSuffix ?? ".COMPLETED");
      if (existsSync(done))
        throw new AgentError(
          "MR_AGENT_SPOOLDIR_NAME_REUSED",
          `file name has been re-used with different files: ${done} exists`,
        );
      await rename(c.path, done);
    }
    await unlink(this.metaPath).catch(() => undefined);
    this.completed.push(c.path);
  }
}

export function createSpoolDirSource(name: string, ctx: Context, env: ComponentEnv): SpoolDirSource {
  const deletePolicy = ctx.getString("deletePolicy", "never");
  if (deletePolicy !== "never" && deletePolicy !== "immediate")
    throw ctx.error("deletePolicy", `must be never or immediate, got "${deletePolicy}"`);
  const consumeOrder = ctx.getString("consumeOrder", "oldest").toLowerCase();
  if (!["oldest", "youngest", "random"].includes(consumeOrder))
    throw ctx.error("consumeOrder", `must be oldest, youngest or random`);
  const deserializer = ctx.getString("deserializer", "LINE");
  if (
    deserializer.toUpperCase() !== "LINE" &&
    deserializer !== "org.apache.flume.serialization.LineDeserializer$Builder"
  )
    throw ctx.error("deserializer", `"${deserializer}" is not supported (LINE)`);
  const inputCharset = ctx.getString("inputCharset", "UTF-8");
  try {
    new TextDecoder(inputCharset);
  } catch {
    throw ctx.error("inputCharset", `unknown charset "${inputCharset}"`);
  }
  for (const k of ["includePattern", "ignorePattern"]) {
    const v = ctx.getString(k);
    if (v !== undefined) {
      try {
        new RegExp(v);
      } catch {
        throw ctx.error(k, `is not a valid regular expression`);
      }
    }
  }
  const batchSize = ctx.getInteger("batchSize", 100);
  if (batchSize <= 0) throw ctx.error("batchSize", "must be positive");
  return new SpoolDirSource(name, {
    spoolDir: ctx.requireString("spoolDir"),
    fileSuffix: ctx.getString("fileSuffix", ".COMPLETED"),
    deletePolicy,
    fileHeader: ctx.getBoolean("fileHeader", false),
    fileHeaderKey: ctx.getString("fileHeaderKey", "file"),
    basenameHeader: ctx.getBoolean("basenameHeader", false),
    basenameHeaderKey: ctx.getString("basenameHeaderKey", "basename"),
    includePattern: ctx.getString("includePattern", "^.*$"),
    ignorePattern: ctx.getString("ignorePattern", "^$"),
    batchSize,
    inputCharset,
    maxLineLength: ctx.getInteger("deserializer.maxLineLength", 2048),
    consumeOrder: consumeOrder as "oldest" | "youngest" | "random",
    trackerDir: ctx.getString("trackerDir", ".flumespool"),
    agentName: env.agentName,
    logger: env.logger,
  });
}
