/**
 * How a streaming learner keeps its model: one state per batch in an updateStateByKey stream of one key,
 * fed with the whole batch as one value, so the model is written with the streaming state in every
 * checkpoint and a restarted app continues from the weights of the last completed batch. The update
 * function gets the model before the batch (the initial model for the first one) and all the batch's
 * points (none for an empty batch), and returns the new model without changing its argument.
 */
import { RDD, type DStream } from "../../streaming/index.js";
import { MLError } from "../errors.js";
import { type Vector, Vectors, isVector } from "../linalg.js";

const KEY = "model";

export function modelStream<P, S>(
  data: DStream<P>,
  initial: () => S,
  update: (model: S, points: P[]) => S,
): DStream<[string, S]> {
  const whole = data.transform(
    (rdd) => new RDD<[string, P[]]>(rdd.env, async () => [[[KEY, await rdd.collect()]]], "collectBatch"),
  );
  return whole.updateStateByKey<string, P[], S>((values, state) => update(state ?? initial(), values[0] ?? []), 1);
}

/** the model of a batch, from its model stream RDD */
export async function modelOf<S>(rdd: RDD<[string, S]>): Promise<S | undefined> {
  const all = await rdd.collect();
  return all[0]?.[1];
}

/** a vector from a Vector, an array of numbers, or a vector's JSON form (what crosses worker threads) */
export function toVector(x: unknown): Vector {
  if (isVector(x)) return x;
  if (Array.isArray(x) || x instanceof Float64Array) return Vectors.dense(x as ArrayLike<number>);
  if (x && typeof x === "object" && "values" in x) {
    const o = x as { type?: unknown; size?: number; indices?: ArrayLike<number>; values: ArrayLike<number> };
    if (o.indices !== undefined && o.size !== undefined) return Vectors.sparse(o.size, o.indices, o.values);
    return Vectors.dense(o.values);
  }
  throw new MLError("MR_ML_INPUT", "a streaming learner's points must be vectors or arrays of numbers");
}

/** MLlib's LabeledPoint: a label and a feature vector */
export class LabeledPoint {
  constructor(
    readonly label: number,
    readonly features: Vector,
  ) {}
  static of(x: unknown): LabeledPoint {
    if (x instanceof LabeledPoint) return x;
    if (Array.isArray(x) && x.length === 2 && typeof x[0] === "number") return new LabeledPoint(x[0], toVector(x[1]));
    if (x && typeof x === "object" && "label" in x && "features" in x) {
      const o = x as { label: unknown; features: unknown };
      return new LabeledPoint(Number(o.label), toVector(o.features));
    }
    throw new MLError("MR_ML_INPUT", "expected a LabeledPoint, {label, features} or [label, features]");
  }
}

/** the RDD of fn(model, x) for every x of the batch, with the model of the same batch's training */
export function predictWith<S, M, T, U>(
  rdd: RDD<T>,
  models: RDD<[string, S]>,
  fromState: (s: S) => M,
  latest: () => M,
  fn: (m: M, x: T) => U,
): RDD<U> {
  return new RDD<U>(
    rdd.env,
    async () => {
      const s = await modelOf(models);
      const m = s !== undefined ? fromState(s) : latest();
      return (await rdd.partitions()).map((p) => p.map((x) => fn(m, x)));
    },
    "predictOn",
  );
}
