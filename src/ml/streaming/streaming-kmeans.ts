/**
 * StreamingKMeans with MLlib's forgetful update. Per batch, every point goes to its closest center;
 * the weights are discounted by decayFactor (per batch) or decayFactor^points ("points"), then for each
 * center with `count` new points summing to `sum`:
 *   weight' = weight + count,  λ = count / max(weight', 1e-16),  center' = (1 − λ)·center + (λ/count)·sum
 * and a dying cluster (weight < 1e-8 × the largest) takes half of the largest one's weight and a
 * center split off it by ±1e-14·max(|x|, 1). Defaults: k 2, decayFactor 1.0, time unit "batches".
 */
import type { DStream } from "../../streaming/index.js";
import { predictWith } from "./model-stream.js";
import { MLError } from "../errors.js";
import { DenseVector, type Vector, Vectors } from "../linalg.js";
import { XORShiftRandom } from "../random.js";
import { modelOf, modelStream, toVector } from "./model-stream.js";

export interface KMeansState {
  centers: number[][];
  weights: number[];
}

export class StreamingKMeansModel {
  readonly clusterCenters: DenseVector[];
  constructor(
    centers: ArrayLike<number>[] | Vector[],
    readonly clusterWeights: number[],
  ) {
    this.clusterCenters = centers.map((c) => (c instanceof DenseVector ? c : Vectors.dense(toVector(c).toArray())));
  }
  get k(): number {
    return this.clusterCenters.length;
  }
  /** the index of the closest center (squared Euclidean distance; the first of equals) */
  predict(point: unknown): number {
    const v = toVector(point);
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.clusterCenters.length; i++) {
      const d = Vectors.sqdist(v, this.clusterCenters[i]!);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }
  /** Σ squared distance to the closest center */
  computeCost(points: unknown[]): number {
    let s = 0;
    for (const p of points) s += Vectors.sqdist(toVector(p), this.clusterCenters[this.predict(p)]!);
    return s;
  }
  toState(): KMeansState {
    return { centers: this.clusterCenters.map((c) => Array.from(c.values)), weights: [...this.clusterWeights] };
  }
  static fromState(s: KMeansState): StreamingKMeansModel {
    return new StreamingKMeansModel(s.centers, s.weights);
  }

  /** the model after one batch (this one is not changed) */
  update(points: unknown[], decayFactor: number, timeUnit: "batches" | "points"): StreamingKMeansModel {
    const centers = this.clusterCenters.map((c) => Float64Array.from(c.values));
    const weights = [...this.clusterWeights];
    const dim = centers[0]!.length;
    const stats = new Map<number, { sum: Float64Array; count: number }>();
    for (const p of points) {
      const v = toVector(p);
      const label = this.predict(v);
      let st = stats.get(label);
      if (!st) stats.set(label, (st = { sum: new Float64Array(dim), count: 0 }));
      const sum = st.sum;
      v.foreachActive((j, x) => {
        sum[j]! += x;
      });
      st.count++;
    }
    const discount = timeUnit === "batches" ? decayFactor : decayFactor ** points.length;
    for (let i = 0; i < weights.length; i++) weights[i]! *= discount;
    for (const [label, { sum, count }] of [...stats].sort((a, b) => a[0] - b[0])) {
      const c = centers[label]!;
      const updatedWeight = weights[label]! + count;
      const lambda = count / Math.max(updatedWeight, 1e-16);
      weights[label] = updatedWeight;
      for (let j = 0; j < dim; j++) c[j] = (1 - lambda) * c[j]! + (lambda / count) * sum[j]!;
    }
    let largest = 0;
    let smallest = 0;
    for (let i = 1; i < weights.length; i++) {
      if (weights[i]! > weights[largest]!) largest = i;
      if (weights[i]! < weights[smallest]!) smallest = i;
    }
    const maxW = weights[largest]!;
    const minW = weights[smallest]!;
    if (minW < 1e-8 * maxW) {
      const w = (maxW + minW) / 2;
      weights[largest] = w;
      weights[smallest] = w;
      const L = centers[largest]!;
      const S = centers[smallest]!;
      for (let j = 0; j < dim; j++) {
        const x = L[j]!;
        const p = 1e-14 * Math.max(Math.abs(x), 1);
        L[j] = x + p;
        S[j] = x - p;
      }
    }
    return new StreamingKMeansModel(
      centers.map((c) => new DenseVector(c)),
      weights,
    );
  }
}

export class StreamingKMeans {
  private k = 2;
  private decayFactor = 1.0;
  private timeUnit: "batches" | "points" = "batches";
  private model: StreamingKMeansModel | undefined;

  setK(k: number): this {
    if (!(Number.isInteger(k) && k > 0))
      throw new MLError("MR_ML_PARAM", `StreamingKMeans: k must be a positive integer`);
    this.k = k;
    return this;
  }
  getK(): number {
    return this.k;
  }
  setDecayFactor(a: number): this {
    if (!(a >= 0)) throw new MLError("MR_ML_PARAM", "StreamingKMeans: decayFactor must be >= 0");
    this.decayFactor = a;
    return this;
  }
  getDecayFactor(): number {
    return this.decayFactor;
  }
  /** the decay that halves a point's weight after `halfLife` batches or points: exp(log(0.5) / halfLife) */
  setHalfLife(halfLife: number, timeUnit: "batches" | "points"): this {
    if (!(halfLife > 0)) throw new MLError("MR_ML_PARAM", "StreamingKMeans: halfLife must be > 0");
    if (timeUnit !== "batches" && timeUnit !== "points")
      throw new MLError("MR_ML_PARAM", `StreamingKMeans: time unit must be "batches" or "points"`);
    this.decayFactor = Math.exp(Math.log(0.5) / halfLife);
    this.timeUnit = timeUnit;
    return this;
  }
  getTimeUnit(): string {
    return this.timeUnit;
  }
  setInitialCenters(centers: (Vector | ArrayLike<number>)[], weights: number[]): this {
    if (centers.length !== weights.length)
      throw new MLError("MR_ML_PARAM", "StreamingKMeans: as many initial weights as centers");
    this.k = centers.length;
    return this.init(new StreamingKMeansModel(centers as Vector[], [...weights]));
  }
  /** k centers of `dim` standard normal coordinates drawn from Spark's XORShiftRandom(seed), each with `weight` */
  setRandomCenters(dim: number, weight: number, seed: number | bigint = Date.now()): this {
    if (!(dim > 0) || !(weight >= 0)) throw new MLError("MR_ML_PARAM", "StreamingKMeans: dim > 0 and weight >= 0");
    const random = new XORShiftRandom(seed);
    const centers = Array.from({ length: this.k }, () =>
      Float64Array.from({ length: dim }, () => random.nextGaussian()),
    );
    return this.init(new StreamingKMeansModel(centers, Array(this.k).fill(weight)));
  }
  private init(m: StreamingKMeansModel): this {
    this.model = m;
    return this;
  }

  /** the model after the last completed batch (the initial model before any) */
  latestModel(): StreamingKMeansModel {
    return this.assertInitialized();
  }

  private assertInitialized(): StreamingKMeansModel {
    if (!this.model)
      throw new MLError(
        "MR_ML_STATE",
        "StreamingKMeans: initial centers must be set (setInitialCenters or setRandomCenters)",
      );
    return this.model;
  }

  private trained: DStream<[string, KMeansState]> | undefined;

  /** updates the model with every batch of `data` (vectors); the model is kept in the streaming state */
  trainOn(data: DStream<unknown>): void {
    const initial = this.assertInitialized();
    const seed = initial.toState();
    this.trained = modelStream<unknown, KMeansState>(
      data,
      () => seed,
      (state, points) =>
        StreamingKMeansModel.fromState(state).update(points, this.decayFactor, this.timeUnit).toState(),
    );
    this.trained.foreachRDD(async (rdd) => {
      const s = await modelOf(rdd);
      if (s) this.model = StreamingKMeansModel.fromState(s);
    });
  }

  /** the closest cluster of every point, by the model after the same batch's training (trainOn first) */
  predictOn(data: DStream<unknown>): DStream<number> {
    return this.withModel(data, (m, x) => m.predict(x));
  }

  /** [key, closest cluster] for every [key, point] */
  predictOnValues<K>(data: DStream<[K, unknown]>): DStream<[K, number]> {
    return this.withModel(data, (m, kv) => [kv[0], m.predict(kv[1])] as [K, number]);
  }

  private withModel<T, U>(data: DStream<T>, fn: (m: StreamingKMeansModel, x: T) => U): DStream<U> {
    const fromState = (s: KMeansState) => StreamingKMeansModel.fromState(s);
    this.assertInitialized();
    const trained = this.trained;
    if (!trained) return data.transform((rdd) => rdd.map((x) => fn(this.latestModel(), x)));
    return data.transformWith(trained, (rdd, models) =>
      predictWith(rdd, models, fromState, () => this.latestModel(), fn),
    );
  }
}
