/**
 * The graph of a StreamingContext (Spark's DStreamGraph): its streams in
 * construction order (ids index it, and worker threads rebuild it in the same
 * order), its output operations, and the zero time batches count from.
 */
import { StreamingError } from "./errors.js";
import { InputDStream, type DStream } from "./dstream.js";
import type { RDD, RDDEnv } from "./rdd.js";

/** What the graph needs from its StreamingContext. */
export interface GraphHost {
  readonly batchInterval: number;
  readonly env: RDDEnv;
  readonly graph: DStreamGraph;
  log(msg: string): void;
}

export interface OutputOp {
  stream: DStream<unknown>;
  name: string;
  run(rdd: RDD<unknown>, time: number): Promise<void>;
}

export class DStreamGraph {
  readonly streams: DStream<unknown>[] = [];
  readonly outputs: OutputOp[] = [];
  zeroTime = 0;
  started = false;

  register(s: DStream<unknown>): number {
    if (this.started)
      throw new StreamingError(
        "MR_STREAMING_STARTED",
        "cannot add streams or operations after the StreamingContext started",
      );
    this.streams.push(s);
    return this.streams.length - 1;
  }

  addOutput(op: OutputOp): void {
    if (this.started)
      throw new StreamingError(
        "MR_STREAMING_STARTED",
        "cannot add output operations after the StreamingContext started",
      );
    this.outputs.push(op);
  }

  inputs(): InputDStream<unknown>[] {
    return this.streams.filter((s): s is InputDStream<unknown> => s instanceof InputDStream);
  }

  stateful(): DStream<unknown>[] {
    return this.streams.filter((s) => s.isStateful());
  }

  /** sets remember durations from the outputs down to the inputs */
  prepare(batchInterval: number): void {
    for (const s of this.streams) s.validate(batchInterval);
    for (const o of this.outputs) o.stream.remember(o.stream.slideDuration);
    this.started = true;
  }

  clearOld(time: number): void {
    for (const s of this.streams) s.clearOld(time);
  }
}
