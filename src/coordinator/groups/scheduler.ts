/**
 * The coordinator's clock and timers, injectable so that tests drive session
 * timeouts, rebalance timeouts and the initial rebalance delay without sleeping.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds since the epoch (Kafka's `time.milliseconds()`). */
  now(): number;
  /** Runs `fn` once after `delayMs` (0 = as soon as possible, never synchronously). */
  schedule(delayMs: number, fn: () => void): TimerHandle;
}

/** Node's setTimeout; timers are unref'd so they never keep the process alive. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    // setTimeout's delay is a signed 32-bit number of ms.
    const t = setTimeout(fn, Math.min(Math.max(0, delayMs), 0x7fffffff));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A scheduler whose time only moves when told to. `advance(ms)` runs every timer
 * that falls due, in due order (ties in scheduling order), including timers that
 * those callbacks schedule within the window.
 */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t: ManualTimer = { due: this.time + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** Timers not yet run nor cancelled. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running the timers that fall due. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.time = Math.max(this.time, next.due);
      next.cancelled = true;
      next.fn();
    }
    this.time = target;
  }
}
