/**
 * KMeans with Spark ML's defaults: k 2, maxIter 20, tol 1e-4, initMode "k-means||" with initSteps 2
 * (the first center drawn uniformly; each step draws every point with probability
 * min(1, 2k·d²(x)/cost); the candidates, weighted by how many points they are closest to, reduced to k
 * by k-means++ with 30 Lloyd iterations, Spark's LocalKMeans), or "random"; then Lloyd iterations until
 * no center moves more than tol. Draws come from XORShiftRandom(seed): a seed gives the same model here
 * (not Spark's centers, whose draws depend on its partitioning).
 */
import { MLError } from "../errors.js";
import { DenseVector, type Vector, Vectors } from "../linalg.js";
import { requireParam, type Row } from "../param.js";
import { Estimator, Model, column } from "../pipeline-stage.js";
import { asVector } from "../feature/idf.js";
import { XORShiftRandom } from "../random.js";

const KM_PARAMS = {
  featuresCol: "features",
  predictionCol: "prediction",
  k: 2,
  maxIter: 20,
  tol: 1e-4,
  initMode: "k-means||",
  initSteps: 2,
  seed: 0,
};

function sq(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

function closest(x: Float64Array, centers: Float64Array[]): [number, number] {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  centers.forEach((c, i) => {
    const d = sq(x, c);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return [best, bestD];
}

/** weighted k-means++ then Lloyd iterations over the weighted candidates (Spark's LocalKMeans) */
function localKMeansPlusPlus(
  points: Float64Array[],
  weights: number[],
  k: number,
  rng: XORShiftRandom,
): Float64Array[] {
  const pick = (probs: number[]) => {
    const total = probs.reduce((a, b) => a + b, 0);
    let r = rng.nextDouble() * total;
    for (let i = 0; i < probs.length; i++) {
      r -= probs[i]!;
      if (r <= 0) return i;
    }
    return probs.length - 1;
  };
  const centers = [Float64Array.from(points[pick(weights)]!)];
  const cost = points.map((p) => sq(p, centers[0]!));
  while (centers.length < k) {
    const i = pick(cost.map((c, j) => c * weights[j]!));
    centers.push(Float64Array.from(points[i]!));
    points.forEach((p, j) => {
      cost[j] = Math.min(cost[j]!, sq(p, centers.at(-1)!));
    });
  }
  for (let iter = 0; iter < 30; iter++) {
    const sums = centers.map((c) => new Float64Array(c.length));
    const w = centers.map(() => 0);
    points.forEach((p, j) => {
      const [c] = closest(p, centers);
      for (let d = 0; d < p.length; d++) sums[c]![d]! += weights[j]! * p[d]!;
      w[c]! += weights[j]!;
    });
    let moved = false;
    centers.forEach((c, i) => {
      if (w[i] === 0) return;
      const next = sums[i]!.map((s) => s / w[i]!);
      if (sq(next, c) > 0) moved = true;
      centers[i] = next;
    });
    if (!moved) break;
  }
  return centers;
}

export class KMeans extends Estimator<KMeansModel> {
  constructor(uid?: string) {
    super("kmeans", KM_PARAMS, uid);
  }
  setK(k: number): this {
    requireParam(Number.isInteger(k) && k >= 2, "KMeans", "k must be an integer >= 2");
    return this.set("k", k);
  }
  setMaxIter(n: number): this {
    return this.set("maxIter", n);
  }
  setTol(t: number): this {
    return this.set("tol", t);
  }
  setInitMode(m: "k-means||" | "random"): this {
    return this.set("initMode", m);
  }
  setInitSteps(n: number): this {
    return this.set("initSteps", n);
  }
  setSeed(s: number): this {
    return this.set("seed", s);
  }
  setFeaturesCol(c: string): this {
    return this.set("featuresCol", c);
  }
  setPredictionCol(c: string): this {
    return this.set("predictionCol", c);
  }

  fit(rows: Row[]): KMeansModel {
    const col = this.getOrDefault<string>("featuresCol");
    const X = rows.map((r) => asVector(column(r, col, "KMeans"), "KMeans").toArray());
    if (X.length === 0) throw new MLError("MR_ML_INPUT", "KMeans: cannot fit on an empty data set");
    const k = this.getOrDefault<number>("k");
    const rng = new XORShiftRandom(this.getOrDefault<number>("seed"));
    let centers =
      this.getOrDefault<string>("initMode") === "random" ? this.initRandom(X, k, rng) : this.initParallel(X, k, rng);
    const tol = this.getOrDefault<number>("tol");
    let iter = 0;
    for (; iter < this.getOrDefault<number>("maxIter"); iter++) {
      const sums = centers.map((c) => new Float64Array(c.length));
      const counts = centers.map(() => 0);
      for (const x of X) {
        const [c] = closest(x, centers);
        for (let d = 0; d < x.length; d++) sums[c]![d]! += x[d]!;
        counts[c]!++;
      }
      let converged = true;
      centers = centers.map((c, i) => {
        if (counts[i] === 0) return c;
        const next = sums[i]!.map((s) => s / counts[i]!);
        if (sq(next, c) > tol * tol) converged = false;
        return next;
      });
      if (converged) {
        iter++;
        break;
      }
    }
    const model = new KMeansModel(
      this.uid,
      centers.map((c) => new DenseVector(c)),
    );
    model.numIter = iter;
    return model.setParams(this.paramMap());
  }

  private initRandom(X: Float64Array[], k: number, rng: XORShiftRandom): Float64Array[] {
    const idx = X.map((_, i) => i);
    for (let i = 0; i < Math.min(k, idx.length); i++) {
      const j = i + Math.floor(rng.nextDouble() * (idx.length - i));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, k).map((i) => Float64Array.from(X[i]!));
  }

  private initParallel(X: Float64Array[], k: number, rng: XORShiftRandom): Float64Array[] {
    const candidates = [Float64Array.from(X[Math.floor(rng.nextDouble() * X.length)]!)];
    const cost = X.map((x) => sq(x, candidates[0]!));
    for (let step = 0; step < this.getOrDefault<number>("initSteps"); step++) {
      const total = cost.reduce((a, b) => a + b, 0);
      if (total === 0) break;
      const chosen = X.filter((_, i) => rng.nextDouble() < (2 * k * cost[i]!) / total).map((x) => Float64Array.from(x));
      for (const c of chosen) {
        candidates.push(c);
        X.forEach((x, i) => {
          cost[i] = Math.min(cost[i]!, sq(x, c));
        });
      }
    }
    if (candidates.length <= k) return candidates;
    const weights = candidates.map(() => 0);
    for (const x of X) weights[closest(x, candidates)[0]]! += 1;
    return localKMeansPlusPlus(candidates, weights, k, rng);
  }
}

export class KMeansModel extends Model {
  numIter = 0;
  constructor(
    uid: string,
    readonly clusterCenters: DenseVector[],
  ) {
    super("kmeans", KM_PARAMS, uid);
  }
  predict(features: Vector): number {
    return closest(
      features.toArray(),
      this.clusterCenters.map((c) => c.values),
    )[0];
  }
  /** Σ squared distance of each point to its closest center */
  computeCost(rows: Row[]): number {
    const col = this.getOrDefault<string>("featuresCol");
    return rows.reduce((s, r) => {
      const v = asVector(column(r, col, "KMeansModel"), "KMeansModel");
      return s + Vectors.sqdist(v, this.clusterCenters[this.predict(v)]!);
    }, 0);
  }
  transformRow(row: Row): Row {
    const v = asVector(column(row, this.getOrDefault("featuresCol"), "KMeansModel"), "KMeansModel");
    return { ...row, [this.getOrDefault<string>("predictionCol")]: this.predict(v) };
  }
}
