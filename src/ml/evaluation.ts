/**
 * Evaluators with Spark ML's metrics, a seeded randomSplit and a confusion matrix.
 *  - BinaryClassificationEvaluator: areaUnderROC (default) / areaUnderPR by the trapezoid rule over the
 *    curve of distinct scores, high to low ((0,0) first and (1,1) last for ROC; the PR curve starts at
 *    (0, precision of the first threshold)); scores grouped into numBins (1000) bins when there are at
 *    least twice as many distinct scores, as Spark's BinaryClassificationMetrics does.
 *  - MulticlassClassificationEvaluator: f1 (default), accuracy, weightedPrecision, weightedRecall, over
 *    the labels present in the label column, each weighted by its frequency.
 *  - RegressionEvaluator: rmse (default), mse, r2, mae, var.
 *  - ClusteringEvaluator: silhouette with squaredEuclidean distance (a single-point cluster scores 0).
 */
import { MLError } from "./errors.js";
import { asVector } from "./feature/idf.js";
import { isVector, Vectors } from "./linalg.js";
import { Params, type Row } from "./param.js";
import { column } from "./pipeline-stage.js";
import { XORShiftRandom } from "./random.js";

export abstract class Evaluator extends Params {
  abstract evaluate(rows: Row[]): number;
  /** whether a larger value is better (rmse, mse and mae are smaller-is-better) */
  isLargerBetter(): boolean {
    return true;
  }
  setLabelCol(c: string): this {
    return this.set("labelCol", c);
  }
  setMetricName(m: string): this {
    return this.set("metricName", m);
  }
  getMetricName(): string {
    return this.getOrDefault("metricName");
  }
  setWeightCol(c: string): this {
    return this.set("weightCol", c);
  }
  protected weightOf(r: Row): number {
    return this.isDefined("weightCol") ? Number(column(r, this.getOrDefault("weightCol"), this.constructor.name)) : 1;
  }
  protected num(r: Row, param: string): number {
    const x = Number(column(r, this.getOrDefault(param), this.constructor.name));
    if (!Number.isFinite(x)) throw new MLError("MR_ML_INPUT", `${this.constructor.name}: ${param} is not a number`);
    return x;
  }
}

function trapezoid(points: [number, number][]): number {
  let s = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    s += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return s;
}

export class BinaryClassificationEvaluator extends Evaluator {
  constructor(uid?: string) {
    super(
      "binEval",
      {
        rawPredictionCol: "rawPrediction",
        labelCol: "label",
        metricName: "areaUnderROC",
        numBins: 1000,
        weightCol: undefined,
      },
      uid,
    );
  }
  setRawPredictionCol(c: string): this {
    return this.set("rawPredictionCol", c);
  }
  setNumBins(n: number): this {
    return this.set("numBins", n);
  }

  /** cumulative [score, tp, fp] per distinct score (high to low), after binning */
  private counts(rows: Row[]): { curve: [number, number, number][]; pos: number; neg: number } {
    const by = new Map<number, [number, number]>();
    for (const r of rows) {
      const raw = column(r, this.getOrDefault("rawPredictionCol"), "BinaryClassificationEvaluator");
      const score = isVector(raw) ? raw.get(1) : Number(raw);
      const label = this.num(r, "labelCol");
      const w = this.weightOf(r);
      const c = by.get(score) ?? [0, 0];
      if (label > 0.5) c[0] += w;
      else c[1] += w;
      by.set(score, c);
    }
    let sorted = [...by].sort((a, b) => b[0] - a[0]);
    const bins = this.getOrDefault<number>("numBins");
    const grouping = bins > 0 ? Math.floor(sorted.length / bins) : 0;
    if (grouping >= 2) {
      const grouped: [number, [number, number]][] = [];
      for (let i = 0; i < sorted.length; i += grouping) {
        const g = sorted.slice(i, i + grouping);
        grouped.push([g[0]![0], g.reduce<[number, number]>((a, [, c]) => [a[0] + c[0], a[1] + c[1]], [0, 0])]);
      }
      sorted = grouped;
    }
    let tp = 0;
    let fp = 0;
    const curve: [number, number, number][] = [];
    for (const [score, [p, n]] of sorted) {
      tp += p;
      fp += n;
      curve.push([score, tp, fp]);
    }
    return { curve, pos: tp, neg: fp };
  }

  /** the ROC curve: (false positive rate, true positive rate) from (0,0) to (1,1) */
  roc(rows: Row[]): [number, number][] {
    const { curve, pos, neg } = this.counts(rows);
    const rate = (x: number, total: number) => (total === 0 ? 0 : x / total);
    return [[0, 0], ...curve.map(([, tp, fp]): [number, number] => [rate(fp, neg), rate(tp, pos)]), [1, 1]];
  }

  /** the PR curve: (recall, precision), starting at (0, the first threshold's precision) */
  pr(rows: Row[]): [number, number][] {
    const { curve, pos } = this.counts(rows);
    const pts = curve.map(([, tp, fp]): [number, number] => [
      pos === 0 ? 0 : tp / pos,
      tp + fp === 0 ? 1 : tp / (tp + fp),
    ]);
    return pts.length ? [[0, pts[0]![1]], ...pts] : [];
  }

  evaluate(rows: Row[]): number {
    const m = this.getMetricName();
    if (m === "areaUnderROC") return trapezoid(this.roc(rows));
    if (m === "areaUnderPR") return trapezoid(this.pr(rows));
    throw new MLError("MR_ML_PARAM", `BinaryClassificationEvaluator: unknown metric ${m}`);
  }
}

export interface ConfusionMatrix {
  /** the labels, sorted; row i is actual labels[i], column j predicted labels[j] */
  labels: number[];
  matrix: number[][];
}

export class MulticlassClassificationEvaluator extends Evaluator {
  constructor(uid?: string) {
    super("mcEval", { predictionCol: "prediction", labelCol: "label", metricName: "f1", weightCol: undefined }, uid);
  }
  setPredictionCol(c: string): this {
    return this.set("predictionCol", c);
  }

  private tallies(rows: Row[]) {
    const tp = new Map<number, number>();
    const fp = new Map<number, number>();
    const count = new Map<number, number>();
    let total = 0;
    for (const r of rows) {
      const y = this.num(r, "labelCol");
      const p = this.num(r, "predictionCol");
      const w = this.weightOf(r);
      total += w;
      count.set(y, (count.get(y) ?? 0) + w);
      tp.set(y, (tp.get(y) ?? 0) + (y === p ? w : 0));
      if (y !== p) fp.set(p, (fp.get(p) ?? 0) + w);
    }
    if (total === 0) throw new MLError("MR_ML_INPUT", "MulticlassClassificationEvaluator: no rows");
    const labels = [...count.keys()].sort((a, b) => a - b);
    return { tp, fp, count, total, labels };
  }

  evaluate(rows: Row[]): number {
    const { tp, fp, count, total, labels } = this.tallies(rows);
    const precision = (l: number) => {
      const t = tp.get(l) ?? 0;
      const d = t + (fp.get(l) ?? 0);
      return d === 0 ? 0 : t / d;
    };
    const recall = (l: number) => (tp.get(l) ?? 0) / count.get(l)!;
    const weighted = (f: (l: number) => number) => labels.reduce((s, l) => s + (f(l) * count.get(l)!) / total, 0);
    switch (this.getMetricName()) {
      case "accuracy":
        return labels.reduce((s, l) => s + (tp.get(l) ?? 0), 0) / total;
      case "weightedPrecision":
        return weighted(precision);
      case "weightedRecall":
        return weighted(recall);
      case "f1":
        return weighted((l) => {
          const p = precision(l);
          const r = recall(l);
          return p + r === 0 ? 0 : (2 * p * r) / (p + r);
        });
      default:
        throw new MLError("MR_ML_PARAM", `MulticlassClassificationEvaluator: unknown metric ${this.getMetricName()}`);
    }
  }

  /** counts (weights) of actual x predicted, over the labels of the label column, as MulticlassMetrics has it */
  confusionMatrix(rows: Row[]): ConfusionMatrix {
    const { labels } = this.tallies(rows);
    const index = new Map(labels.map((l, i) => [l, i]));
    const matrix = labels.map(() => labels.map(() => 0));
    for (const r of rows) {
      const i = index.get(this.num(r, "labelCol"))!;
      const j = index.get(this.num(r, "predictionCol"));
      if (j !== undefined) matrix[i]![j]! += this.weightOf(r);
    }
    return { labels, matrix };
  }
}

export class RegressionEvaluator extends Evaluator {
  constructor(uid?: string) {
    super("regEval", { predictionCol: "prediction", labelCol: "label", metricName: "rmse", weightCol: undefined }, uid);
  }
  setPredictionCol(c: string): this {
    return this.set("predictionCol", c);
  }
  override isLargerBetter(): boolean {
    return this.getMetricName() === "r2" || this.getMetricName() === "var";
  }
  evaluate(rows: Row[]): number {
    let W = 0;
    let se = 0;
    let ae = 0;
    let sy = 0;
    let syy = 0;
    const ps: [number, number, number][] = [];
    for (const r of rows) {
      const y = this.num(r, "labelCol");
      const p = this.num(r, "predictionCol");
      const w = this.weightOf(r);
      W += w;
      se += w * (y - p) ** 2;
      ae += w * Math.abs(y - p);
      sy += w * y;
      syy += w * y * y;
      ps.push([y, p, w]);
    }
    if (W === 0) throw new MLError("MR_ML_INPUT", "RegressionEvaluator: no rows");
    switch (this.getMetricName()) {
      case "mse":
        return se / W;
      case "rmse":
        return Math.sqrt(se / W);
      case "mae":
        return ae / W;
      case "r2":
        return 1 - se / (syy - (sy * sy) / W);
      case "var": {
        // explained variance: Σ w (p − ȳ)² / Σw
        const ybar = sy / W;
        return ps.reduce((s, [, p, w]) => s + w * (p - ybar) ** 2, 0) / W;
      }
      default:
        throw new MLError("MR_ML_PARAM", `RegressionEvaluator: unknown metric ${this.getMetricName()}`);
    }
  }
}

export class ClusteringEvaluator extends Evaluator {
  constructor(uid?: string) {
    super(
      "cluEval",
      {
        featuresCol: "features",
        predictionCol: "prediction",
        metricName: "silhouette",
        distanceMeasure: "squaredEuclidean",
        weightCol: undefined,
      },
      uid,
    );
  }
  setFeaturesCol(c: string): this {
    return this.set("featuresCol", c);
  }
  setPredictionCol(c: string): this {
    return this.set("predictionCol", c);
  }
  evaluate(rows: Row[]): number {
    if (this.getMetricName() !== "silhouette" || this.getOrDefault("distanceMeasure") !== "squaredEuclidean")
      throw new MLError("MR_ML_PARAM", "ClusteringEvaluator: only silhouette with squaredEuclidean is implemented");
    const pts = rows.map((r) => ({
      x: asVector(column(r, this.getOrDefault("featuresCol"), "ClusteringEvaluator"), "ClusteringEvaluator").toArray(),
      c: this.num(r, "predictionCol"),
      w: this.weightOf(r),
    }));
    // per cluster: Σw·x, Σw·‖x‖², Σw
    const stats = new Map<number, { sum: Float64Array; sq: number; w: number }>();
    for (const p of pts) {
      let s = stats.get(p.c);
      if (!s) stats.set(p.c, (s = { sum: new Float64Array(p.x.length), sq: 0, w: 0 }));
      for (let j = 0; j < p.x.length; j++) s.sum[j]! += p.w * p.x[j]!;
      s.sq += p.w * Vectors.norm(Vectors.dense(p.x)) ** 2;
      s.w += p.w;
    }
    if (stats.size < 2) throw new MLError("MR_ML_INPUT", "ClusteringEvaluator: silhouette needs at least 2 clusters");
    let total = 0;
    let W = 0;
    for (const p of pts) {
      const norm2 = p.x.reduce((a, v) => a + v * v, 0);
      const avg = (c: number) => {
        const s = stats.get(c)!;
        let dot = 0;
        for (let j = 0; j < p.x.length; j++) dot += p.x[j]! * s.sum[j]!;
        return norm2 + s.sq / s.w - (2 * dot) / s.w;
      };
      const own = stats.get(p.c)!;
      let coef = 0;
      if (own.w !== p.w) {
        let b = Number.POSITIVE_INFINITY;
        for (const c of stats.keys()) if (c !== p.c) b = Math.min(b, avg(c));
        const a = (avg(p.c) * own.w) / (own.w - p.w);
        coef = a < b ? 1 - a / b : a > b ? b / a - 1 : 0;
      }
      total += p.w * coef;
      W += p.w;
    }
    return total / W;
  }
}

/**
 * Splits rows at random into parts of the given relative weights: row i goes to the part whose share of
 * [0, 1) holds its draw from XORShiftRandom(seed). The same seed gives the same split (not Spark's rows,
 * which depend on its partitioning).
 */
export function randomSplit<T>(rows: T[], weights: number[], seed: number | bigint = Date.now()): T[][] {
  if (weights.length === 0 || weights.some((w) => !(w >= 0)))
    throw new MLError("MR_ML_PARAM", "randomSplit: weights must be nonnegative");
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new MLError("MR_ML_PARAM", "randomSplit: the weights must sum to more than 0");
  const bounds: number[] = [];
  let acc = 0;
  for (const w of weights) bounds.push((acc += w / sum));
  const rng = new XORShiftRandom(seed);
  const out: T[][] = weights.map(() => []);
  for (const r of rows) {
    const x = rng.nextDouble();
    let k = bounds.findIndex((b) => x < b);
    if (k < 0) k = weights.length - 1;
    out[k]!.push(r);
  }
  return out;
}
