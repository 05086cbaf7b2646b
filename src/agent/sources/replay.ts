/**
 * Replays a JSON-lines file (v1.1 or v2 tweets, Jetstream events, Wikimedia
 * changes, anything) into the channel.
 *
 *   rate = recorded   at the pace the records were made (from timestampField)
 *   rate = 10x        ten times faster (`10`, `10x`, `10×`, `0.5x` all work)
 *   rate = max        as fast as the channel takes them
 *
 * timestampField is a dotted path; without it the first record that has one of
 * data.created_at (v2), created_at (v1.1, Mastodon), time_us (Jetstream),
 * meta.dt (Wikimedia), timestamp decides. Numbers are read as seconds,
 * milliseconds or microseconds by size (time_us always as microseconds);
 * strings as dates. A record without a timestamp goes out at once.
 *
 * Each line becomes one event with its bytes as the body and headers
 * `timestamp` (when it was emitted), `recordedTimestamp` (from the record) and
 * `line`. Lines that are not JSON objects are dead-lettered with their line
 * number. `loop = true` starts over at the end of the file.
 */
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { ComponentEnv, Context } from "../api.js";
import type { SourceCounter } from "../counters.js";
import type { DeadLetter } from "./connectors/dead-letter.js";
import { DeadLetterSource } from "./base.js";
import { systemClock, type Clock } from "./clock.js";
import { type BatchDelivery, DeliveryClosedError, deadLetterFromConfig } from "./delivery.js";

export const AUTO_TIMESTAMP_FIELDS = ["data.created_at", "created_at", "time_us", "meta.dt", "timestamp"] as const;

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** epoch milliseconds from a record's timestamp value, or undefined */
export function toMillis(value: unknown, field = ""): number | undefined {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) n = Number(value);
  else if (typeof value === "string") {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : undefined;
  } else return undefined;
  if (!Number.isFinite(n)) return undefined;
  if (field.endsWith("time_us") || n > 1e14) return Math.floor(n / 1000);
  if (n > 1e11) return n;
  return n * 1000;
}

export function detectTimestampField(obj: unknown): string | undefined {
  return AUTO_TIMESTAMP_FIELDS.find((f) => toMillis(getPath(obj, f), f) !== undefined);
}

export interface ReplayConfig {
  file: string;
  /** speed factor; Infinity = as fast as possible */
  speed: number;
  timestampField?: string;
  loop: boolean;
  batchSize: number;
  batchDurationMs: number;
  channelFullBackoffMs: number;
}

export function parseRate(s: string): number | undefined {
  const v = s.trim().toLowerCase();
  if (v === "recorded") return 1;
  if (v === "max" || v === "fastest") return Infinity;
  const m = /^(\d+(?:\.\d+)?)\s*[x×]?$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n : undefined;
}

export class ReplaySource extends DeadLetterSource {
  protected readonly delivery: BatchDelivery;
  protected readonly dead: DeadLetter;
  readonly stats = {
    lines: 0,
    cycles: 0,
    untimed: 0,
    finished: false,
    timestampField: undefined as string | undefined,
  };

  constructor(
    name: string,
    readonly config: ReplayConfig,
    env: ComponentEnv,
    deadLetter: (c: () => SourceCounter) => DeadLetter,
    private readonly clock: Clock = systemClock,
  ) {
    super(name, env);
    this.dead = deadLetter(() => this.counter);
    this.delivery = this.newDelivery({
      maxBatchSize: config.batchSize,
      maxBatchDurationMs: config.batchDurationMs,
      channelFullBackoffMs: config.channelFullBackoffMs,
    });
  }

  protected async run(): Promise<void> {
    try {
      await access(this.config.file);
    } catch (err) {
      this.counter.inc("GenericProcessingFail");
      this.logger.error({ err, file: this.config.file }, "replay file cannot be read");
      return;
    }
    try {
      do {
        await this.cycle();
        this.stats.cycles++;
      } while (this.config.loop && !this.stopping);
      if (!this.stopping) {
        await this.delivery.flush();
        this.stats.finished = true;
        this.logger.info({ file: this.config.file, lines: this.stats.lines }, "replay finished");
      }
    } catch (err) {
      if (!(err instanceof DeliveryClosedError)) throw err;
    }
  }

  private async cycle(): Promise<void> {
    const { speed } = this.config;
    let field = this.config.timestampField ?? this.stats.timestampField;
    let base: number | undefined;
    let wallStart = 0;
    let lineNo = 0;
    const input = createReadStream(this.config.file);
    const rl = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of rl) {
        if (this.stopping) break;
        lineNo++;
        if (line.trim() === "") continue;
        let obj: unknown;
        try {
          obj = JSON.parse(line);
        } catch (err) {
          await this.dead.write(`line ${lineNo}: not JSON: ${(err as Error).message}`, line, { line: lineNo });
          continue;
        }
        if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
          await this.dead.write(`line ${lineNo}: not a JSON object`, line, { line: lineNo });
          continue;
        }
        if (field === undefined) {
          field = detectTimestampField(obj);
          if (field !== undefined) {
            this.stats.timestampField = field;
            this.logger.info({ timestampField: field }, "replay timestamps detected");
          }
        }
        const recorded = field !== undefined ? toMillis(getPath(obj, field), field) : undefined;
        if (recorded === undefined) this.stats.untimed++;
        if (Number.isFinite(speed) && recorded !== undefined) {
          if (base === undefined) {
            base = recorded;
            wallStart = this.clock.now();
          }
          const due = wallStart + (recorded - base) / speed;
          const wait = due - this.clock.now();
          if (wait > 0) {
            await this.delivery.flush(); // what is due goes out before the pause
            if (!(await this.clock.sleep(wait, this.abort.signal))) break;
          }
        }
        const headers: Record<string, string> = { timestamp: String(this.clock.now()), line: String(lineNo) };
        if (recorded !== undefined) headers.recordedTimestamp = String(recorded);
        this.stats.lines++;
        await this.delivery.add({ headers, body: Buffer.from(line, "utf8") });
      }
    } finally {
      rl.close();
      input.destroy();
    }
  }
}

export function replayConfig(ctx: Context): ReplayConfig {
  const file = ctx.requireString("file");
  const rateStr = ctx.getString("rate", "recorded") || "recorded";
  const speed = parseRate(rateStr);
  if (speed === undefined) throw ctx.error("rate", `must be recorded, max or a speed like 10x, got "${rateStr}"`);
  return {
    file,
    speed,
    timestampField: ctx.getString("timestampField") || undefined,
    loop: ctx.getBoolean("loop", false),
    batchSize: ctx.getPositiveInteger("batchSize", 100),
    batchDurationMs: ctx.getPositiveInteger("batchDurationMillis", 1000),
    channelFullBackoffMs: ctx.getPositiveInteger("channelFullBackoffMs", 100),
  };
}

export function createReplaySource(name: string, ctx: Context, env: ComponentEnv, clock?: Clock): ReplaySource {
  const config = replayConfig(ctx);
  return new ReplaySource(name, config, env, (c) => deadLetterFromConfig(name, ctx, env.logger, c), clock);
}
