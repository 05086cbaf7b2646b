/**
 * Wikimedia EventStreams (https://stream.wikimedia.org), Server-Sent Events.
 * Every `message` event's data is one JSON event (recentchange, page-create,
 * ...). The SSE id (a JSON list of Kafka topic/partition offsets or timestamps)
 * of the last event committed to the channel is written to `positionFile`; a
 * reconnect or a restart sends it as Last-Event-ID and the server continues
 * right after it.
 *
 * Headers: `timestamp` (meta.dt, or `timestamp` in seconds), `topic`
 * (meta.stream), `id` (meta.id) when present.
 */
import type { ComponentEnv, Context, Event } from "../api.js";
import type { SourceCounter } from "../counters.js";
import type { DeadLetter } from "./connectors/dead-letter.js";
import { readPosition, writePosition } from "./connectors/position.js";
import type { SseEvent } from "./connectors/sse.js";
import { type BatchDelivery, deadLetterFromConfig } from "./delivery.js";
import { SseSource, sseOptionsFromConfig, type SseSourceOptions } from "./sse-source.js";

export interface WikimediaConfig {
  url: string;
  positionFile?: string;
  /** Wikimedia's User-Agent policy asks for a contact (a URL or an e-mail address) */
  userAgent?: string;
  batchSize: number;
  batchDurationMs: number;
  channelFullBackoffMs: number;
}

export class WikimediaSource extends SseSource<string> {
  protected readonly delivery: BatchDelivery<string>;
  protected readonly dead: DeadLetter;
  /** the SSE id of the last event committed to the channel */
  committedId: string | undefined;

  constructor(
    name: string,
    readonly config: WikimediaConfig,
    env: ComponentEnv,
    deadLetter: (c: () => SourceCounter) => DeadLetter,
    sse: SseSourceOptions,
  ) {
    super(name, env, sse);
    this.dead = deadLetter(() => this.counter);
    if (config.positionFile) this.committedId = readPosition(config.positionFile);
    this.lastEventId = this.committedId ?? "";
    this.delivery = this.newDelivery<string>({
      maxBatchSize: config.batchSize,
      maxBatchDurationMs: config.batchDurationMs,
      channelFullBackoffMs: config.channelFullBackoffMs,
      onCommitted: (_events, ids) => {
        const id = ids[ids.length - 1]!;
        if (id === "") return;
        this.committedId = id;
        if (this.config.positionFile) writePosition(this.config.positionFile, id);
      },
    });
  }

  protected streamUrl(): string {
    return this.config.url;
  }

  protected requestHeaders(): Record<string, string> {
    return this.config.userAgent ? { "user-agent": this.config.userAgent } : {};
  }

  protected async onEvent(ev: SseEvent): Promise<void> {
    if (ev.type !== "message") return;
    let data: { meta?: { dt?: unknown; stream?: unknown; id?: unknown }; timestamp?: unknown };
    try {
      data = JSON.parse(ev.data);
    } catch (err) {
      await this.dead.write(`not JSON: ${(err as Error).message}`, ev.data, { lastEventId: ev.lastEventId });
      return;
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      await this.dead.write("not a JSON object", ev.data, { lastEventId: ev.lastEventId });
      return;
    }
    let ts = typeof data.meta?.dt === "string" ? Date.parse(data.meta.dt) : NaN;
    if (!Number.isFinite(ts) && typeof data.timestamp === "number") ts = data.timestamp * 1000;
    const headers: Record<string, string> = { timestamp: String(Number.isFinite(ts) ? ts : Date.now()) };
    if (typeof data.meta?.stream === "string") headers.topic = data.meta.stream;
    if (typeof data.meta?.id === "string") headers.id = data.meta.id;
    const e: Event = { headers, body: Buffer.from(ev.data, "utf8") };
    await this.delivery.add(e, ev.lastEventId);
  }
}

export function wikimediaConfig(ctx: Context): WikimediaConfig {
  const def = "https://stream.wikimedia.org/v2/stream/recentchange";
  const url = ctx.getString("url", def) || def;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw ctx.error("url", `must be an http(s) URL, got "${url}"`);
  }
  return {
    url,
    positionFile: ctx.getString("positionFile") || undefined,
    userAgent: ctx.getString("userAgent") || undefined,
    batchSize: ctx.getPositiveInteger("batchSize", 100),
    batchDurationMs: ctx.getPositiveInteger("batchDurationMillis", 1000),
    channelFullBackoffMs: ctx.getPositiveInteger("channelFullBackoffMs", 100),
  };
}

export function createWikimediaSource(name: string, ctx: Context, env: ComponentEnv): WikimediaSource {
  const config = wikimediaConfig(ctx);
  const sse = sseOptionsFromConfig(ctx, "resuming after the last event id (Last-Event-ID)");
  return new WikimediaSource(name, config, env, (c) => deadLetterFromConfig(name, ctx, env.logger, c), sse);
}
