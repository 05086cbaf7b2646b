/**
 * mapWithState: the per-key State handed to the mapping function, and the
 * StateSpec that carries the function and the idle timeout.
 */
import { StreamingError } from "./errors.js";

export class State<S> {
  private value: S | undefined;
  private present: boolean;
  private removed = false;
  private updated = false;

  constructor(
    initial: { value: S } | undefined,
    private readonly timingOut = false,
  ) {
    this.present = initial !== undefined;
    this.value = initial?.value;
  }

  exists(): boolean {
    return this.present;
  }

  get(): S {
    if (!this.present)
      throw new StreamingError(
        "MR_STREAMING_STATE",
        "State.get(): the state does not exist (check exists() or use getOption())",
      );
    return this.value as S;
  }

  getOption(): S | undefined {
    return this.present ? this.value : undefined;
  }

  update(s: S): void {
    if (this.removed)
      throw new StreamingError("MR_STREAMING_STATE", "State.update(): the state was removed in this call");
    if (this.timingOut)
      throw new StreamingError("MR_STREAMING_STATE", "State.update(): cannot update a state that is timing out");
    this.value = s;
    this.present = true;
    this.updated = true;
  }

  remove(): void {
    if (this.timingOut)
      throw new StreamingError("MR_STREAMING_STATE", "State.remove(): a state that is timing out is removed anyway");
    this.present = false;
    this.removed = true;
    this.value = undefined;
  }

  isTimingOut(): boolean {
    return this.timingOut;
  }

  /** @internal */
  get wasUpdated(): boolean {
    return this.updated;
  }
  /** @internal */
  get wasRemoved(): boolean {
    return this.removed;
  }
}

export type MappingFunction<K, V, S, U> = (key: K, value: V | undefined, state: State<S>) => U;

export class StateSpec<K, V, S, U> {
  timeoutMs: number | undefined;
  numPartitions: number | undefined;
  private constructor(readonly fn: MappingFunction<K, V, S, U>) {}

  static function<K, V, S, U>(fn: MappingFunction<K, V, S, U>): StateSpec<K, V, S, U> {
    return new StateSpec(fn);
  }

  /** keys idle for this long (ms) are timed out: called once more with isTimingOut(), then dropped */
  timeout(ms: number): this {
    this.timeoutMs = ms;
    return this;
  }

  partitions(n: number): this {
    this.numPartitions = n;
    return this;
  }
}
