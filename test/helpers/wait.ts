/**
 * The one polling wait of the test suites. A deadline here is how long a test may wait for
 * something that should happen, never an assertion about how long it took: defaults are generous.
 */
export interface WaitOptions {
  /** how long to wait before failing (default 60 s) */
  timeoutMs?: number;
  /** how long between polls (default 20 ms) */
  intervalMs?: number;
  /**
   * checked after each poll that did not hold: a message to fail with at once (e.g. the child
   * process being waited on has exited), or nothing to keep waiting
   */
  failIf?: () => string | false | null | undefined;
  /** appended to the timeout error (e.g. the tail of a child's output) */
  detail?: () => string;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 60_000;
const DEFAULT_INTERVAL_MS = 20;

/** what `get` resolves to once it holds: its value without the "not yet" cases */
export type Held<T> = Exclude<T, undefined | null | false>;

/**
 * Polls `get` (sync or async) until it returns a truthy value, and resolves to that value; a
 * boolean predicate resolves to `true`. Fails with "timed out waiting for <what>" after the
 * deadline, or with `failIf`'s message as soon as it gives one. The third argument is the
 * timeout in ms or the options.
 */
export async function waitFor<T>(
  get: () => T | Promise<T>,
  what: string,
  options: number | WaitOptions = {},
): Promise<Held<T>> {
  const o: WaitOptions = typeof options === "number" ? { timeoutMs: options } : options;
  const deadline = Date.now() + (o.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
  for (;;) {
    const v = await get();
    if (v) return v as Held<T>;
    const failure = o.failIf?.();
    if (failure) throw new Error(failure);
    if (Date.now() > deadline) {
      const detail = o.detail?.();
      throw new Error(`timed out waiting for ${what}${detail ? `:\n${detail}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? DEFAULT_INTERVAL_MS));
  }
}
