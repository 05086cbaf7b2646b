/**
 * Bluesky Jetstream over WebSocket (https://github.com/bluesky-social/jetstream).
 *
 * Subscribes to `url` with `wantedCollections` and `wantedDids` (comma-separated,
 * sent as repeated query parameters, as Jetstream reads them). Every message is
 * one JSON event with `time_us`, Jetstream's cursor. After each batch is
 * committed to the channel the last time_us is written to `positionFile`; a
 * reconnect or a restart subscribes with cursor = last time_us minus
 * `rewindSeconds` (so nothing between the last commit and the disconnect is
 * missed) and drops events with time_us <= the last one already taken, so
 * nothing is delivered twice.
 *
 * Backpressure: incoming messages wait in a small queue; when it reaches
 * `maxQueuedMessages` the socket is paused (ws.pause(): nothing more is read
 * from TCP) until the channel has taken the waiting batch.
 *
 * compress: Jetstream's zstd frames use a custom dictionary; the bundled zstd
 * decoder (fzstd) cannot use dictionaries, so compress = true is refused.
 */
import WebSocket from "ws";
import type { ComponentEnv, Context, Event } from "../api.js";
import type { SourceCounter } from "../counters.js";
import {
  PUBLIC_STREAM_BACKOFF,
  ReconnectPolicy,
  backoffFromConfig,
  sleep,
  type BackoffSettings,
  type FailureKind,
} from "./connectors/backoff.js";
import type { DeadLetter } from "./connectors/dead-letter.js";
import { StallError } from "./connectors/errors.js";
import { USER_AGENT } from "./connectors/http.js";
import { readPosition, writePosition } from "./connectors/position.js";
import { DeadLetterSource } from "./base.js";
import { type BatchDelivery, DeliveryClosedError, GapTracker, deadLetterFromConfig } from "./delivery.js";

export interface JetstreamConfig {
  url: string;
  wantedCollections: string[];
  wantedDids: string[];
  positionFile?: string;
  rewindSeconds: number;
  batchSize: number;
  batchDurationMs: number;
  maxQueuedMessages: number;
  pingIntervalMs: number;
  channelFullBackoffMs: number;
}

export class JetstreamSource extends DeadLetterSource<number> {
  protected readonly delivery: BatchDelivery<number>;
  protected readonly dead: DeadLetter;
  private readonly policy: ReconnectPolicy;
  private readonly gaps: GapTracker;
  /** time_us of the last event committed to the channel */
  committed: number | undefined;
  /** time_us of the last event taken into a batch */
  private seen: number | undefined;
  readonly stats = { connects: 0, duplicatesDropped: 0, pauses: 0, lastCursor: undefined as number | undefined };

  constructor(
    name: string,
    readonly config: JetstreamConfig,
    env: ComponentEnv,
    deadLetter: (c: () => SourceCounter) => DeadLetter,
    backoff: BackoffSettings,
  ) {
    super(name, env);
    this.policy = new ReconnectPolicy(backoff);
    this.dead = deadLetter(() => this.counter);
    this.gaps = new GapTracker(
      env.agentName,
      name,
      this.logger,
      "resuming from the cursor (minus the rewind), duplicates dropped",
    );
    if (config.positionFile) {
      const p = readPosition(config.positionFile);
      if (p !== undefined) {
        const n = Number(p);
        if (Number.isSafeInteger(n) && n > 0) this.committed = n;
        else
          this.logger.warn(
            { positionFile: config.positionFile, content: p.slice(0, 50) },
            "position file does not hold a time_us cursor; starting live",
          );
      }
    }
    this.seen = this.committed;
    this.delivery = this.newDelivery<number>({
      maxBatchSize: config.batchSize,
      maxBatchDurationMs: config.batchDurationMs,
      channelFullBackoffMs: config.channelFullBackoffMs,
      onCommitted: (_events, meta) => {
        const last = meta[meta.length - 1]!;
        this.committed = last;
        if (this.config.positionFile) writePosition(this.config.positionFile, String(last));
      },
    });
  }

  /** the subscribe URL for the current position */
  subscribeUrl(): string {
    const u = new URL(this.config.url);
    for (const c of this.config.wantedCollections) u.searchParams.append("wantedCollections", c);
    for (const d of this.config.wantedDids) u.searchParams.append("wantedDids", d);
    const from = this.seen ?? this.committed;
    if (from !== undefined) {
      const cursor = Math.max(1, from - this.config.rewindSeconds * 1_000_000);
      u.searchParams.set("cursor", String(cursor));
      this.stats.lastCursor = cursor;
    } else this.stats.lastCursor = undefined;
    return u.toString();
  }

  protected async run(): Promise<void> {
    while (!this.stopping) {
      let kind: FailureKind = "network";
      let reason = "closed by the server";
      try {
        await this.session(this.subscribeUrl());
      } catch (err) {
        if (this.stopping || err instanceof DeliveryClosedError) break;
        reason = (err as Error).message;
        const m = /Unexpected server response: (\d+)/.exec(reason);
        if (m) kind = m[1] === "429" ? "rate-limit" : "http";
      }
      if (this.stopping) break;
      this.gaps.down(kind, reason);
      const wait = this.policy.next(kind);
      this.logger.warn(
        { kind, waitMs: wait, reason, committed: this.committed },
        "jetstream disconnected; reconnecting",
      );
      await sleep(wait, this.abort.signal);
    }
  }

  /** one WebSocket connection; resolves when it closed and its queued messages were handled */
  private session(url: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { "user-agent": USER_AGENT }, handshakeTimeout: 30_000 });
      const queue: Buffer[] = [];
      let paused = false;
      let pumping: Promise<void> | undefined;
      let failure: Error | undefined;
      let closed = false;
      let alive = true;
      let settled = false;
      const low = Math.floor(this.config.maxQueuedMessages / 2);

      const onAbort = () => ws.terminate();
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
      const ping = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (paused || this.delivery.busy) {
          alive = true; // not reading on purpose
          return;
        }
        if (!alive) {
          failure ??= new StallError(this.config.pingIntervalMs);
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, this.config.pingIntervalMs);

      const finish = () => {
        if (settled || !closed || pumping) return;
        settled = true;
        clearInterval(ping);
        this.abort.signal.removeEventListener("abort", onAbort);
        this.counter.set("OpenConnectionCount", 0);
        if (failure) reject(failure);
        else resolve();
      };
      const pump = async () => {
        try {
          while (queue.length > 0) {
            const data = queue.shift()!;
            if (paused && queue.length <= low) {
              paused = false;
              ws.resume();
            }
            await this.onMessage(data);
          }
        } catch (err) {
          failure ??= err as Error;
          ws.terminate();
        } finally {
          pumping = undefined;
          finish();
        }
      };

      ws.on("open", () => {
        this.stats.connects++;
        this.policy.reset();
        this.gaps.up({ cursor: this.stats.lastCursor });
        this.counter.set("OpenConnectionCount", 1);
        this.logger.info({ url }, "jetstream connected");
      });
      ws.on("pong", () => (alive = true));
      ws.on("message", (data: WebSocket.RawData) => {
        alive = true;
        queue.push(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
        if (!paused && queue.length >= this.config.maxQueuedMessages) {
          paused = true;
          this.stats.pauses++;
          ws.pause();
        }
        pumping ??= pump();
      });
      ws.on("error", (err) => {
        failure ??= err;
      });
      ws.on("close", () => {
        closed = true;
        if (paused) ws.resume();
        finish();
      });
    });
  }

  private async onMessage(data: Buffer): Promise<void> {
    const text = data.toString("utf8");
    let msg: {
      time_us?: unknown;
      did?: unknown;
      kind?: unknown;
      commit?: { collection?: unknown; operation?: unknown };
    };
    try {
      msg = JSON.parse(text);
    } catch (err) {
      await this.dead.write(`not JSON: ${(err as Error).message}`, text);
      return;
    }
    if (
      msg === null ||
      typeof msg !== "object" ||
      typeof msg.time_us !== "number" ||
      !Number.isSafeInteger(msg.time_us)
    ) {
      await this.dead.write("no time_us: not a Jetstream event", text);
      return;
    }
    const t = msg.time_us;
    if (this.seen !== undefined && t <= this.seen) {
      this.stats.duplicatesDropped++;
      return;
    }
    const headers: Record<string, string> = { timestamp: String(Math.floor(t / 1000)), time_us: String(t) };
    if (typeof msg.did === "string") headers.did = msg.did;
    if (typeof msg.kind === "string") headers.kind = msg.kind;
    if (msg.commit && typeof msg.commit.collection === "string") headers.collection = msg.commit.collection;
    if (msg.commit && typeof msg.commit.operation === "string") headers.operation = msg.commit.operation;
    const ev: Event = { headers, body: data };
    this.seen = t;
    await this.delivery.add(ev, t);
  }
}

const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

export function jetstreamConfig(ctx: Context): JetstreamConfig {
  const url =
    ctx.getString("url", "wss://jetstream2.us-east.bsky.network/subscribe") ||
    "wss://jetstream2.us-east.bsky.network/subscribe";
  try {
    const u = new URL(url);
    if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new Error("not ws");
  } catch {
    throw ctx.error("url", `must be a ws:// or wss:// URL, got "${url}"`);
  }
  if (ctx.getBoolean("compress", false)) {
    const dict = ctx.getString("zstdDictionary");
    if (!dict)
      throw ctx.error("compress", "= true needs zstdDictionary (Jetstream compresses with a custom zstd dictionary)");
    throw ctx.error(
      "compress",
      "= true is not supported: the bundled zstd decoder (fzstd) cannot decode frames that use a " +
        "dictionary; set compress = false",
    );
  }
  ctx.getString("zstdDictionary");
  const wantedCollections = list(ctx.getString("wantedCollections"));
  if (wantedCollections.length > 100)
    throw ctx.error("wantedCollections", "lists more than Jetstream's 100 collections");
  const wantedDids = list(ctx.getString("wantedDids"));
  if (wantedDids.length > 10_000) throw ctx.error("wantedDids", "lists more than Jetstream's 10000 DIDs");
  const rewindSeconds = ctx.getInteger("rewindSeconds", 5);
  if (rewindSeconds < 0) throw ctx.error("rewindSeconds", "must be >= 0");
  return {
    url,
    wantedCollections,
    wantedDids,
    positionFile: ctx.getString("positionFile") || undefined,
    rewindSeconds,
    batchSize: ctx.getPositiveInteger("batchSize", 100),
    batchDurationMs: ctx.getPositiveInteger("batchDurationMillis", 1000),
    maxQueuedMessages: ctx.getPositiveInteger("maxQueuedMessages", 1000),
    pingIntervalMs: ctx.getPositiveInteger("pingIntervalMs", 30_000),
    channelFullBackoffMs: ctx.getPositiveInteger("channelFullBackoffMs", 100),
  };
}

export function createJetstreamSource(name: string, ctx: Context, env: ComponentEnv): JetstreamSource {
  const config = jetstreamConfig(ctx);
  const backoff = backoffFromConfig((k, d) => ctx.getInteger(k, d), PUBLIC_STREAM_BACKOFF);
  return new JetstreamSource(name, config, env, (c) => deadLetterFromConfig(name, ctx, env.logger, c), backoff);
}
