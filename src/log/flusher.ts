/**
 * Group commit. One flusher serves every partition of a LogManager: a sync
 * request waits for the next flush round that starts after it; while a round
 * runs, new requests accumulate and share the following round. A round
 * fdatasyncs each dirty file of every requesting partition once (in parallel),
 * so N concurrent acks=all produces cost a handful of fsyncs, not N.
 *
 * Correctness rests on one ordering: a partition registers a sync request only
 * after its write completed, and a round snapshots the partition's dirty files
 * when it starts, so the fdatasync it issues covers that write.
 */

export interface FlushTarget {
  /** fdatasync every file dirty at the time of the call; resolves with the number of syncs done */
  flushOnce(): Promise<number>;
}

interface Waiter {
  target: FlushTarget;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class Flusher {
  /** fdatasync/fsync calls issued */
  fsyncs = 0;
  /** flush rounds run */
  rounds = 0;
  private waiters: Waiter[] = [];
  private requested = new Set<FlushTarget>();
  private running = false;
  private idleWaiters: (() => void)[] = [];

  /** Resolves once a flush round that started after this call has synced `target`. */
  request(target: FlushTarget): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      this.requested.add(target);
      this.kick();
    });
  }

  /** Schedules a flush of `target` without waiting for it (errors are the target's to record). */
  requestAsync(target: FlushTarget): void {
    this.requested.add(target);
    this.kick();
  }

  /** Resolves when no round is running or pending. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // Start on the next microtask so requests made in the same tick share the round.
    queueMicrotask(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.requested.size > 0) {
        const targets = [...this.requested];
        this.requested.clear();
        const waiters = this.waiters;
        this.waiters = [];
        this.rounds++;
        const results = await Promise.allSettled(targets.map((t) => t.flushOnce()));
        const errors = new Map<FlushTarget, unknown>();
        results.forEach((r, i) => {
          if (r.status === "fulfilled") this.fsyncs += r.value;
          else errors.set(targets[i], r.reason);
        });
        for (const w of waiters) {
          if (errors.has(w.target)) w.reject(errors.get(w.target));
          else w.resolve();
        }
      }
    } finally {
      this.running = false;
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of idle) r();
      if (this.requested.size > 0) this.kick();
    }
  }
}
