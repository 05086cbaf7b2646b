/** Wall clock and sleep, injectable so pacing can be tested without timing. */
import { sleep } from "./connectors/backoff.js";

export interface Clock {
  now(): number;
  /** resolves false when woken early by the signal */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };
