/**
 * Mastodon's streaming API (Server-Sent Events): GET
 * {baseUrl}/api/v1/streaming/{public,public/local,public/remote,hashtag,hashtag/local}
 * with `Authorization: Bearer <accessToken>`. `update` events carry a status
 * (JSON), `status.update` an edited status, `delete` the id of a deleted status.
 * Each becomes one event with headers `event`, `id` and, for statuses,
 * `timestamp` (created_at). Mastodon's stream has no resume position: a
 * reconnect is logged as a gap.
 */
import type { ComponentEnv, Context, Event } from "../api.js";
import type { SourceCounter } from "../counters.js";
import type { DeadLetter } from "./connectors/dead-letter.js";
import type { SseEvent } from "./connectors/sse.js";
import { type BatchDelivery, deadLetterFromConfig } from "./delivery.js";
import { SseSource, sseOptionsFromConfig, type SseSourceOptions } from "./sse-source.js";

const STREAMS: Record<string, string> = {
  public: "public",
  "public:local": "public/local",
  "public:remote": "public/remote",
  hashtag: "hashtag",
  "hashtag:local": "hashtag/local",
};

export interface MastodonConfig {
  baseUrl: string;
  accessToken?: string;
  stream: string;
  tag?: string;
  onlyMedia: boolean;
  batchSize: number;
  batchDurationMs: number;
  channelFullBackoffMs: number;
}

export class MastodonSource extends SseSource<undefined> {
  protected readonly delivery: BatchDelivery;
  protected readonly dead: DeadLetter;
  readonly ignored = new Map<string, number>();

  constructor(
    name: string,
    readonly config: MastodonConfig,
    env: ComponentEnv,
    deadLetter: (c: () => SourceCounter) => DeadLetter,
    sse: SseSourceOptions,
  ) {
    super(name, env, sse);
    this.dead = deadLetter(() => this.counter);
    this.delivery = this.newDelivery({
      maxBatchSize: config.batchSize,
      maxBatchDurationMs: config.batchDurationMs,
      channelFullBackoffMs: config.channelFullBackoffMs,
    });
  }

  protected streamUrl(): string {
    const u = new URL(this.config.baseUrl.replace(/\/+$/, "") + "/api/v1/streaming/" + STREAMS[this.config.stream]);
    if (this.config.tag) u.searchParams.set("tag", this.config.tag);
    if (this.config.onlyMedia) u.searchParams.set("only_media", "true");
    return u.toString();
  }

  protected requestHeaders(): Record<string, string> {
    return this.config.accessToken ? { authorization: `Bearer ${this.config.accessToken}` } : {};
  }

  protected async onEvent(ev: SseEvent): Promise<void> {
    if (ev.type === "update" || ev.type === "status.update") {
      let status: { id?: unknown; created_at?: unknown };
      try {
        status = JSON.parse(ev.data);
      } catch (err) {
        await this.dead.write(`${ev.type}: not JSON: ${(err as Error).message}`, ev.data);
        return;
      }
      if (status === null || typeof status !== "object" || typeof status.id !== "string") {
        await this.dead.write(`${ev.type}: not a status (no id)`, ev.data);
        return;
      }
      const created = typeof status.created_at === "string" ? Date.parse(status.created_at) : NaN;
      const e: Event = {
        headers: { event: ev.type, id: status.id, timestamp: String(Number.isFinite(created) ? created : Date.now()) },
        body: Buffer.from(ev.data, "utf8"),
      };
      await this.delivery.add(e);
      return;
    }
    if (ev.type === "delete") {
      const id = ev.data.trim();
      if (id === "" || /\s/.test(id)) {
        await this.dead.write("delete: not a status id", ev.data);
        return;
      }
      await this.delivery.add({
        headers: { event: "delete", id, timestamp: String(Date.now()) },
        body: Buffer.from(id, "utf8"),
      });
      return;
    }
    // notification, filters_changed, announcement, ...: not part of a timeline
    this.ignored.set(ev.type, (this.ignored.get(ev.type) ?? 0) + 1);
  }
}

export function mastodonConfig(ctx: Context): MastodonConfig {
  const baseUrl = ctx.requireString("baseUrl");
  try {
    const u = new URL(baseUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw ctx.error("baseUrl", `must be an http(s) URL, got "${baseUrl}"`);
  }
  const stream = (ctx.getString("stream", "public") || "public").toLowerCase();
  if (!(stream in STREAMS))
    throw ctx.error("stream", `must be one of ${Object.keys(STREAMS).join(", ")}, got "${stream}"`);
  const tag = (ctx.getString("tag") ?? "").replace(/^#/, "") || undefined;
  if (stream.startsWith("hashtag") && !tag) throw ctx.error("tag", `is required for stream = ${stream}`);
  return {
    baseUrl,
    accessToken: ctx.getString("accessToken") || undefined,
    stream,
    tag: stream.startsWith("hashtag") ? tag : undefined,
    onlyMedia: ctx.getBoolean("onlyMedia", false),
    batchSize: ctx.getPositiveInteger("batchSize", 100),
    batchDurationMs: ctx.getPositiveInteger("batchDurationMillis", 1000),
    channelFullBackoffMs: ctx.getPositiveInteger("channelFullBackoffMs", 100),
  };
}

export function createMastodonSource(name: string, ctx: Context, env: ComponentEnv): MastodonSource {
  const config = mastodonConfig(ctx);
  const sse = sseOptionsFromConfig(
    ctx,
    "statuses posted while disconnected are not delivered (Mastodon's stream has no resume)",
  );
  return new MastodonSource(name, config, env, (c) => deadLetterFromConfig(name, ctx, env.logger, c), sse);
}
