/**
 * The connection loop shared by the Server-Sent-Events sources (Mastodon,
 * Wikimedia): open the stream with Last-Event-ID when there is one, feed the
 * bytes to the SSE parser, hand each event to the subclass, treat comments as
 * liveness, honour the server's `retry`, reconnect with backoff and log every
 * gap. Reading the response is awaited event by event, so a full channel stops
 * the reading (TCP backpressure).
 */
import type { ComponentEnv, Context } from "../api.js";
import {
  PUBLIC_STREAM_BACKOFF,
  ReconnectPolicy,
  backoffFromConfig,
  sleep,
  type BackoffSettings,
  type FailureKind,
} from "./connectors/backoff.js";
import { HttpStatusError } from "./connectors/errors.js";
import { openStream } from "./connectors/http.js";
import { SseParser, type SseEvent } from "./connectors/sse.js";
import { DeadLetterSource } from "./base.js";
import { StallWatchdog } from "./stall.js";
import { DEFAULT_MAX_LINE_LENGTH } from "./lines.js";
import { DeliveryClosedError, GapTracker } from "./delivery.js";

export interface SseSourceOptions {
  stallTimeoutMs: number;
  connectTimeoutMs: number;
  backoff: BackoffSettings;
  gapNote: string;
}

/** The SSE sources' connection settings from their properties (Mastodon's and Wikimedia's public streams). */
export function sseOptionsFromConfig(ctx: Context, gapNote: string): SseSourceOptions {
  return {
    stallTimeoutMs: ctx.getInteger("stallTimeoutMs", 60_000),
    connectTimeoutMs: ctx.getInteger("connectTimeoutMs", 30_000),
    backoff: backoffFromConfig((k, d) => ctx.getInteger(k, d), PUBLIC_STREAM_BACKOFF),
    gapNote,
  };
}

export abstract class SseSource<M> extends DeadLetterSource<M> {
  protected readonly policy: ReconnectPolicy;
  protected readonly gaps: GapTracker;
  /** the id sent as Last-Event-ID on the next connection ("" for none) */
  protected lastEventId = "";
  /** the server's `retry` (ms), used as the least wait before reconnecting */
  protected retryMs = 0;
  readonly stats = { connects: 0, comments: 0, events: 0, lastEventIdSent: [] as string[] };

  constructor(
    name: string,
    env: ComponentEnv,
    protected readonly sse: SseSourceOptions,
  ) {
    super(name, env);
    this.policy = new ReconnectPolicy(sse.backoff);
    this.gaps = new GapTracker(env.agentName, name, this.logger, sse.gapNote);
  }

  protected abstract streamUrl(): string;
  protected abstract requestHeaders(): Record<string, string>;
  protected abstract onEvent(ev: SseEvent): Promise<void>;

  protected async run(): Promise<void> {
    while (!this.stopping) {
      let kind: FailureKind = "network";
      let notBefore: number | undefined;
      let reason = "stream closed by the server";
      try {
        await this.readOnce();
      } catch (err) {
        if (this.stopping || err instanceof DeliveryClosedError) break;
        reason = (err as Error).message;
        if (err instanceof HttpStatusError) {
          kind = err.status === 429 ? "rate-limit" : "http";
          notBefore = err.notBefore();
          if (err.status === 401 || err.status === 403 || err.status === 404)
            this.logger.error(
              { status: err.status },
              "the stream refuses this source's request; check the URL and token",
            );
        }
      }
      if (this.stopping) break;
      this.gaps.down(kind, reason);
      if (kind === "network" && this.retryMs > 0) notBefore = Math.max(notBefore ?? 0, Date.now() + this.retryMs);
      const wait = this.policy.next(kind, notBefore);
      this.logger.warn(
        { kind, waitMs: wait, reason, lastEventId: this.lastEventId || undefined },
        "event stream disconnected; reconnecting",
      );
      await sleep(wait, this.abort.signal);
    }
  }

  private async readOnce(): Promise<void> {
    const headers: Record<string, string> = {
      accept: "text/event-stream",
      "cache-control": "no-cache",
      ...this.requestHeaders(),
    };
    if (this.lastEventId !== "") headers["last-event-id"] = this.lastEventId;
    this.stats.lastEventIdSent.push(this.lastEventId);
    const res = await openStream(this.streamUrl(), {
      headers,
      signal: this.abort.signal,
      connectTimeoutMs: this.sse.connectTimeoutMs,
    });
    this.stats.connects++;
    this.policy.reset();
    this.gaps.up({ lastEventId: this.lastEventId || undefined });
    this.counter.set("OpenConnectionCount", 1);
    const parser = new SseParser(
      {
        onComment: () => this.stats.comments++,
        onRetry: (ms) => (this.retryMs = ms),
        // dead-lettered (and so counted as EventReadFail); the event it was part of is dropped
        onLineTooLong: (length) =>
          void this.dead.write(`event stream line longer than ${DEFAULT_MAX_LINE_LENGTH} bytes (${length})`, ""),
      },
      this.lastEventId,
    );
    // while a batch waits for the channel we are not reading, on purpose
    const watchdog = new StallWatchdog(
      this.sse.stallTimeoutMs,
      () => this.delivery.busy,
      (err) => res.destroy(err),
    );
    try {
      for await (const chunk of res) {
        watchdog.touch();
        for (const ev of parser.feed(chunk as Buffer)) {
          this.stats.events++;
          this.lastEventId = ev.lastEventId;
          await this.onEvent(ev);
        }
        // an id on an event without data still moves the position
        this.lastEventId = parser.lastEventId;
        watchdog.touch();
      }
    } finally {
      watchdog.stop();
      this.counter.set("OpenConnectionCount", 0);
      res.destroy();
      if (parser.hasPartialEvent)
        this.logger.warn(
          { lastEventId: this.lastEventId || undefined },
          "an event was cut off by the disconnect; it is re-read after Last-Event-ID where the server supports it",
        );
    }
  }
}
