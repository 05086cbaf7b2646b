/**
 * Labelled instances from rows (features vector, label, weight) and their weighted summary: means and
 * unbiased standard deviations as Spark's Summarizer computes them (denominator Σw − Σw²/Σw, n − 1 when
 * unweighted).
 */
import { MLError } from "./errors.js";
import { asVector } from "./feature/idf.js";
import type { Vector } from "./linalg.js";
import type { Row } from "./param.js";
import { column } from "./pipeline-stage.js";

export interface Instance {
  features: Vector;
  label: number;
  weight: number;
}

export function instancesOf(
  rows: Row[],
  cols: { featuresCol: string; labelCol: string; weightCol?: string | undefined },
  stage: string,
): Instance[] {
  if (rows.length === 0) throw new MLError("MR_ML_INPUT", `${stage}: cannot fit on an empty data set`);
  let d = -1;
  return rows.map((r) => {
    const features = asVector(column(r, cols.featuresCol, stage), stage);
    if (d < 0) d = features.size;
    else if (features.size !== d)
      throw new MLError("MR_ML_DIMENSION", `${stage}: feature vectors of sizes ${d} and ${features.size}`);
    const label = Number(column(r, cols.labelCol, stage));
    if (!Number.isFinite(label))
      throw new MLError("MR_ML_INPUT", `${stage}: label ${String(r[cols.labelCol])} is not a number`);
    const weight = cols.weightCol ? Number(column(r, cols.weightCol, stage)) : 1;
    if (!(weight >= 0)) throw new MLError("MR_ML_INPUT", `${stage}: weight must be >= 0`);
    return { features, label, weight };
  });
}

export interface Summary {
  numFeatures: number;
  count: number;
  weightSum: number;
  mean: Float64Array;
  std: Float64Array;
  labelMean: number;
  labelStd: number;
}

export function summarize(data: Instance[]): Summary {
  const d = data[0]!.features.size;
  let W = 0;
  let W2 = 0;
  const sx = new Float64Array(d);
  const sxx = new Float64Array(d);
  let sy = 0;
  let syy = 0;
  for (const { features, label, weight } of data) {
    W += weight;
    W2 += weight * weight;
    sy += weight * label;
    syy += weight * label * label;
    features.foreachActive((j, v) => {
      sx[j]! += weight * v;
      sxx[j]! += weight * v * v;
    });
  }
  const denom = W - W2 / W;
  const variance = (s: number, ss: number) => (denom > 0 ? Math.max(0, (ss - (s * s) / W) / denom) : 0);
  const mean = sx.map((s) => s / W);
  const std = sx.map((s, j) => Math.sqrt(variance(s, sxx[j]!)));
  return {
    numFeatures: d,
    count: data.length,
    weightSum: W,
    mean,
    std,
    labelMean: sy / W,
    labelStd: Math.sqrt(variance(sy, syy)),
  };
}

/** the number of classes: max label + 1; labels must be integers >= 0 */
export function numClassesOf(data: Instance[], stage: string): number {
  let max = 0;
  for (const { label } of data) {
    if (!Number.isInteger(label) || label < 0)
      throw new MLError("MR_ML_INPUT", `${stage}: class labels must be integers >= 0, got ${label}`);
    if (label > max) max = label;
  }
  return max + 1;
}
