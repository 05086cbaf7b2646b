/**
 * Reconnect policy. The defaults are X's documented filtered-stream guidance:
 *  - network errors (reset, refused, stall, stream end): back off linearly,
 *    250 ms more each attempt, up to 16 s;
 *  - HTTP errors (5xx, 4xx other than 429): exponentially, from 5 s doubling
 *    up to 320 s;
 *  - HTTP 429: exponentially from 1 minute, and never before the rate-limit
 *    window resets (x-rate-limit-reset, epoch seconds).
 * Each kind keeps its own attempt count; a successful connection resets all.
 */

export type FailureKind = "network" | "http" | "rate-limit";

export interface BackoffSettings {
  networkStepMs: number;
  networkMaxMs: number;
  httpInitialMs: number;
  httpMaxMs: number;
  rateLimitInitialMs: number;
  rateLimitMaxMs: number;
}

export const X_BACKOFF: BackoffSettings = {
  networkStepMs: 250,
  networkMaxMs: 16_000,
  httpInitialMs: 5_000,
  httpMaxMs: 320_000,
  rateLimitInitialMs: 60_000,
  rateLimitMaxMs: 15 * 60_000,
};

/** Gentler defaults for free public streams (Jetstream, Mastodon, Wikimedia). */
export const PUBLIC_STREAM_BACKOFF: BackoffSettings = {
  networkStepMs: 500,
  networkMaxMs: 30_000,
  httpInitialMs: 2_000,
  httpMaxMs: 120_000,
  rateLimitInitialMs: 60_000,
  rateLimitMaxMs: 15 * 60_000,
};

export class ReconnectPolicy {
  private attempts: Record<FailureKind, number> = { network: 0, http: 0, "rate-limit": 0 };
  constructor(readonly settings: BackoffSettings = X_BACKOFF) {}

  /**
   * The wait before the next attempt after a failure of `kind`.
   * `notBeforeMs` (an absolute epoch ms, e.g. from x-rate-limit-reset or
   * Retry-After) lengthens the wait to reach it, within the kind's maximum.
   */
  next(kind: FailureKind, notBeforeMs?: number, now = Date.now()): number {
    const s = this.settings;
    const n = ++this.attempts[kind];
    let wait: number;
    let max: number;
    if (kind === "network") {
      max = s.networkMaxMs;
      wait = Math.min(s.networkStepMs * n, max);
    } else if (kind === "http") {
      max = s.httpMaxMs;
      wait = Math.min(s.httpInitialMs * 2 ** (n - 1), max);
    } else {
      max = s.rateLimitMaxMs;
      wait = Math.min(s.rateLimitInitialMs * 2 ** (n - 1), max);
    }
    if (notBeforeMs !== undefined && Number.isFinite(notBeforeMs))
      wait = Math.max(wait, Math.min(notBeforeMs - now, max));
    return Math.max(0, Math.round(wait));
  }

  /** after a connection that worked */
  reset(): void {
    this.attempts = { network: 0, http: 0, "rate-limit": 0 };
  }

  attemptsOf(kind: FailureKind): number {
    return this.attempts[kind];
  }
}

/** Reads backoff.* keys (milliseconds) over the given defaults. */
export function backoffFromConfig(
  get: (key: string, def: number) => number,
  defaults: BackoffSettings,
): BackoffSettings {
  return {
    networkStepMs: get("backoff.networkStepMs", defaults.networkStepMs),
    networkMaxMs: get("backoff.networkMaxMs", defaults.networkMaxMs),
    httpInitialMs: get("backoff.httpInitialMs", defaults.httpInitialMs),
    httpMaxMs: get("backoff.httpMaxMs", defaults.httpMaxMs),
    rateLimitInitialMs: get("backoff.rateLimitInitialMs", defaults.rateLimitInitialMs),
    rateLimitMaxMs: get("backoff.rateLimitMaxMs", defaults.rateLimitMaxMs),
  };
}

/** Sleeps `ms`, waking early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
