/**
 * StreamingLinearRegressionWithSGD and StreamingLogisticRegressionWithSGD: every non-empty batch runs
 * MLlib's GradientDescent from the current weights (no intercept, no feature scaling, as MLlib's
 * defaults): for i = 1..numIterations, the mean gradient g over the (sampled) batch, then
 *   w ← w·(1 − (stepSize/√i)·regParam) − (stepSize/√i)·g
 * (regParam 0 by default, so the plain w − stepSize/√i·g), stopping early when
 * ‖w_i − w_{i−1}‖ < convergenceTol·max(‖w_i‖, 1) (convergenceTol 0.001). Gradients: least squares
 * (w·x − y)·x; logistic (σ(w·x) − y)·x. Defaults: stepSize 0.1, numIterations 50, miniBatchFraction 1.0.
 */
import type { DStream } from "../../streaming/index.js";
import { MLError } from "../errors.js";
import { type DenseVector, type Vector, Vectors } from "../linalg.js";
import { XORShiftRandom } from "../random.js";
import { LabeledPoint, modelOf, modelStream, predictWith, toVector } from "./model-stream.js";

export interface LinearState {
  weights: number[];
  intercept: number;
}

/** MLlib's GeneralizedLinearModel: weights and intercept */
export abstract class GeneralizedLinearModel {
  readonly weights: DenseVector;
  constructor(
    weights: ArrayLike<number>,
    readonly intercept = 0,
  ) {
    this.weights = Vectors.dense(weights);
  }
  margin(x: unknown): number {
    return toVector(x).dot(this.weights) + this.intercept;
  }
  abstract predict(x: unknown): number;
  toState(): LinearState {
    return { weights: Array.from(this.weights.values), intercept: this.intercept };
  }
}

export class LinearRegressionWithSGDModel extends GeneralizedLinearModel {
  predict(x: unknown): number {
    return this.margin(x);
  }
}

export class LogisticRegressionWithSGDModel extends GeneralizedLinearModel {
  /** 0.5 by default; undefined: predict gives the probability */
  threshold: number | undefined = 0.5;
  setThreshold(t: number): this {
    this.threshold = t;
    return this;
  }
  clearThreshold(): this {
    this.threshold = undefined;
    return this;
  }
  predict(x: unknown): number {
    const p = 1 / (1 + Math.exp(-this.margin(x)));
    return this.threshold === undefined ? p : p > this.threshold ? 1 : 0;
  }
}

export type Gradient = (x: Vector, label: number, w: Float64Array, cum: Float64Array) => void;

export const leastSquaresGradient: Gradient = (x, label, w, cum) => {
  let m = 0;
  x.foreachActive((j, v) => {
    m += v * w[j]!;
  });
  const diff = m - label;
  x.foreachActive((j, v) => {
    cum[j]! += diff * v;
  });
};

export const logisticGradient: Gradient = (x, label, w, cum) => {
  let m = 0;
  x.foreachActive((j, v) => {
    m += v * w[j]!;
  });
  const mult = 1 / (1 + Math.exp(-m)) - label;
  x.foreachActive((j, v) => {
    cum[j]! += mult * v;
  });
};

export interface SGDParams {
  stepSize: number;
  numIterations: number;
  regParam: number;
  miniBatchFraction: number;
  convergenceTol: number;
}

function norm(a: Float64Array): number {
  let s = 0;
  for (const x of a) s += x * x;
  return Math.sqrt(s);
}

/** MLlib's GradientDescent.runMiniBatchSGD (SimpleUpdater when regParam is 0, else SquaredL2Updater) */
export function runMiniBatchSGD(
  points: LabeledPoint[],
  gradient: Gradient,
  p: SGDParams,
  initialWeights: ArrayLike<number>,
): Float64Array {
  let w = Float64Array.from(initialWeights);
  if (points.length === 0) return w;
  let prev: Float64Array | undefined;
  for (let i = 1; i <= p.numIterations; i++) {
    const cum = new Float64Array(w.length);
    let size = 0;
    const rng = p.miniBatchFraction < 1 ? new XORShiftRandom(42 + i) : undefined;
    for (const lp of points) {
      if (rng && !(rng.nextDouble() < p.miniBatchFraction)) continue;
      gradient(lp.features, lp.label, w, cum);
      size++;
    }
    if (size === 0) continue;
    const step = p.stepSize / Math.sqrt(i);
    const shrink = 1 - step * p.regParam;
    const next = w.map((x, j) => x * shrink - step * (cum[j]! / size));
    prev = w;
    w = next;
    if (i > 1 && prev) {
      const diff = norm(prev.map((x, j) => x - w[j]!));
      if (diff < p.convergenceTol * Math.max(norm(w), 1)) break;
    }
  }
  return w;
}

abstract class StreamingLinearAlgorithm<M extends GeneralizedLinearModel> {
  protected params: SGDParams = {
    stepSize: 0.1,
    numIterations: 50,
    regParam: 0,
    miniBatchFraction: 1.0,
    convergenceTol: 0.001,
  };
  protected model: M | undefined;
  private trained: DStream<[string, LinearState]> | undefined;

  protected abstract readonly gradient: Gradient;
  protected abstract makeModel(weights: ArrayLike<number>, intercept: number): M;
  protected validate(_points: LabeledPoint[]): void {}

  setStepSize(x: number): this {
    this.params.stepSize = x;
    return this;
  }
  setNumIterations(n: number): this {
    this.params.numIterations = n;
    return this;
  }
  setMiniBatchFraction(f: number): this {
    if (!(f > 0 && f <= 1)) throw new MLError("MR_ML_PARAM", "miniBatchFraction must be in (0, 1]");
    this.params.miniBatchFraction = f;
    return this;
  }
  setConvergenceTol(t: number): this {
    this.params.convergenceTol = t;
    return this;
  }
  setInitialWeights(w: Vector | ArrayLike<number>): this {
    this.model = this.makeModel(toVector(w).toArray(), 0);
    return this;
  }
  latestModel(): M {
    if (!this.model)
      throw new MLError("MR_ML_STATE", "Model must be initialized before starting training (setInitialWeights)");
    return this.model;
  }

  /** trains on every non-empty batch of labelled points (LabeledPoint, {label, features} or [label, features]) */
  trainOn(data: DStream<unknown>): void {
    const seed = this.latestModel().toState();
    this.trained = modelStream<unknown, LinearState>(
      data,
      () => seed,
      (state, raw) => {
        if (raw.length === 0) return state;
        const points = raw.map((x) => LabeledPoint.of(x));
        this.validate(points);
        const w = runMiniBatchSGD(points, this.gradient, this.params, state.weights);
        return { weights: Array.from(w), intercept: state.intercept };
      },
    );
    this.trained.foreachRDD(async (rdd) => {
      const s = await modelOf(rdd);
      if (s) this.model = this.makeModel(s.weights, s.intercept);
    });
  }

  predictOn(data: DStream<unknown>): DStream<number> {
    return this.withModel(data, (m, x) => m.predict(x));
  }

  predictOnValues<K>(data: DStream<[K, unknown]>): DStream<[K, number]> {
    return this.withModel(data, (m, kv) => [kv[0], m.predict(kv[1])] as [K, number]);
  }

  private withModel<T, U>(data: DStream<T>, fn: (m: M, x: T) => U): DStream<U> {
    this.latestModel();
    const trained = this.trained;
    if (!trained) return data.transform((rdd) => rdd.map((x) => fn(this.latestModel(), x)));
    const fromState = (s: LinearState) => this.makeModel(s.weights, s.intercept);
    return data.transformWith(trained, (rdd, models) =>
      predictWith(rdd, models, fromState, () => this.latestModel(), fn),
    );
  }
}

export class StreamingLinearRegressionWithSGD extends StreamingLinearAlgorithm<LinearRegressionWithSGDModel> {
  protected readonly gradient = leastSquaresGradient;
  protected makeModel(w: ArrayLike<number>, intercept: number): LinearRegressionWithSGDModel {
    return new LinearRegressionWithSGDModel(w, intercept);
  }
}

export class StreamingLogisticRegressionWithSGD extends StreamingLinearAlgorithm<LogisticRegressionWithSGDModel> {
  protected readonly gradient = logisticGradient;
  setRegParam(x: number): this {
    this.params.regParam = x;
    return this;
  }
  protected makeModel(w: ArrayLike<number>, intercept: number): LogisticRegressionWithSGDModel {
    return new LogisticRegressionWithSGDModel(w, intercept);
  }
  protected override validate(points: LabeledPoint[]): void {
    for (const p of points)
      if (p.label !== 0 && p.label !== 1)
        throw new MLError("MR_ML_INPUT", `StreamingLogisticRegressionWithSGD: labels must be 0 or 1, got ${p.label}`);
  }
}
