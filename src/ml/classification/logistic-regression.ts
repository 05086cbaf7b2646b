/**
 * LogisticRegression as Spark ML fits it: binomial (numClasses <= 2, family "auto") or multinomial
 * (softmax, one coefficient row per class). The objective, on features scaled by their unbiased std, is
 *   (1/Σw) Σ w·loss + regParam·(α‖β‖₁ + (1−α)/2‖β‖²),  α = elasticNetParam,
 * with the penalty on the scaled coefficients when `standardization` (else on the original ones) and
 * never on the intercept; minimized by L-BFGS, or OWL-QN when there is an L1 part. Multinomial
 * intercepts are centered (and coefficients too when regParam is 0), as Spark does.
 */
import { MLError } from "../errors.js";
import { DenseVector, type Vector } from "../linalg.js";
import { minimize } from "../optim/lbfgs.js";
import { requireParam, type Row } from "../param.js";
import { PROBABILISTIC_PARAMS, ProbabilisticClassificationModel, ProbabilisticClassifier } from "../predictor.js";
import { type Instance, numClassesOf, summarize } from "../instances.js";

export const LR_PARAMS = {
  ...PROBABILISTIC_PARAMS,
  maxIter: 100,
  regParam: 0.0,
  elasticNetParam: 0.0,
  tol: 1e-6,
  fitIntercept: true,
  standardization: true,
  threshold: 0.5,
  family: "auto",
};

export class LogisticRegression extends ProbabilisticClassifier<LogisticRegressionModel> {
  constructor(uid?: string) {
    super("logreg", LR_PARAMS, uid);
  }
  setMaxIter(n: number): this {
    requireParam(Number.isInteger(n) && n >= 0, "LogisticRegression", "maxIter must be an integer >= 0");
    return this.set("maxIter", n);
  }
  setRegParam(x: number): this {
    requireParam(x >= 0, "LogisticRegression", "regParam must be >= 0");
    return this.set("regParam", x);
  }
  setElasticNetParam(x: number): this {
    requireParam(x >= 0 && x <= 1, "LogisticRegression", "elasticNetParam must be in [0, 1]");
    return this.set("elasticNetParam", x);
  }
  setTol(x: number): this {
    return this.set("tol", x);
  }
  setFitIntercept(b: boolean): this {
    return this.set("fitIntercept", b);
  }
  setStandardization(b: boolean): this {
    return this.set("standardization", b);
  }
  setThreshold(t: number): this {
    return this.set("threshold", t);
  }
  /** "auto", "binomial" or "multinomial" */
  setFamily(f: string): this {
    requireParam(["auto", "binomial", "multinomial"].includes(f), "LogisticRegression", `unknown family ${f}`);
    return this.set("family", f);
  }

  fit(rows: Row[]): LogisticRegressionModel {
    const data = this.instances(rows);
    const numClasses = Math.max(2, numClassesOf(data, "LogisticRegression"));
    const family = this.getOrDefault<string>("family");
    if (family === "binomial" && numClasses > 2)
      throw new MLError("MR_ML_INPUT", `LogisticRegression: binomial family but ${numClasses} classes`);
    const multinomial = family === "multinomial" || (family === "auto" && numClasses > 2);
    const fitted = this.train(data, multinomial ? numClasses : 1);
    const model = new LogisticRegressionModel(
      this.uid,
      fitted.coefficients,
      fitted.intercepts,
      multinomial,
      numClasses,
    );
    return model.setParams(this.paramMap());
  }

  private train(data: Instance[], K: number): { coefficients: Float64Array[]; intercepts: Float64Array } {
    const s = summarize(data);
    const d = s.numFeatures;
    const fitIntercept = this.getOrDefault<boolean>("fitIntercept");
    const reg = this.getOrDefault<number>("regParam");
    const alpha = this.getOrDefault<number>("elasticNetParam");
    const standardize = this.getOrDefault<boolean>("standardization");
    const l1 = alpha * reg;
    const l2 = (1 - alpha) * reg;
    const inv = s.std.map((x) => (x > 0 ? 1 / x : 0));
    const counts = new Float64Array(Math.max(2, K));
    for (const x of data) counts[x.label]! += x.weight;
    const stride = d + (fitIntercept ? 1 : 0);
    if (K === 1 && fitIntercept && (counts[0] === 0 || counts[1] === 0)) {
      // one class only: Spark returns zero coefficients and an infinite intercept
      return {
        coefficients: [new Float64Array(d)],
        intercepts: Float64Array.of(counts[1] === 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY),
      };
    }
    const theta0 = new Float64Array(K * stride);
    if (fitIntercept) {
      if (K === 1) theta0[d] = Math.log(counts[1]! / counts[0]!);
      else {
        const logs = Array.from(counts, (c) => Math.log(c + 1));
        const mean = logs.reduce((a, b) => a + b, 0) / K;
        for (let k = 0; k < K; k++) theta0[k * stride + d] = logs[k]! - mean;
      }
    }
    const l1w = new Float64Array(K * stride);
    const l2w = new Float64Array(K * stride);
    for (let k = 0; k < K; k++)
      for (let j = 0; j < d; j++) {
        if (inv[j] === 0) continue;
        l1w[k * stride + j] = standardize ? l1 : l1 * inv[j]!;
        l2w[k * stride + j] = standardize ? l2 : l2 * inv[j]! * inv[j]!;
      }
    const objective = (theta: Float64Array, grad: Float64Array) =>
      K === 1
        ? binaryLoss(data, theta, grad, inv, d, fitIntercept, s.weightSum, l2w)
        : softmaxLoss(data, theta, grad, inv, d, K, fitIntercept, s.weightSum, l2w);
    const r = minimize(objective, theta0, {
      maxIter: this.getOrDefault<number>("maxIter"),
      tol: Math.min(this.getOrDefault<number>("tol"), 1e-6) * 1e-4,
      l1: l1 > 0 ? l1w : undefined,
    });
    const coefficients: Float64Array[] = [];
    const intercepts = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      coefficients.push(Float64Array.from({ length: d }, (_, j) => r.x[k * stride + j]! * inv[j]!));
      intercepts[k] = fitIntercept ? r.x[k * stride + d]! : 0;
    }
    if (K > 1) centerMultinomial(coefficients, intercepts, fitIntercept, reg === 0);
    return { coefficients, intercepts };
  }
}

function centerMultinomial(coef: Float64Array[], intercepts: Float64Array, fitIntercept: boolean, all: boolean): void {
  const K = coef.length;
  if (fitIntercept) {
    const m = intercepts.reduce((a, b) => a + b, 0) / K;
    for (let k = 0; k < K; k++) intercepts[k]! -= m;
  }
  if (!all) return;
  for (let j = 0; j < coef[0]!.length; j++) {
    let m = 0;
    for (let k = 0; k < K; k++) m += coef[k]![j]!;
    m /= K;
    for (let k = 0; k < K; k++) coef[k]![j]! -= m;
  }
}

function l2Part(theta: Float64Array, grad: Float64Array, l2w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < theta.length; i++) {
    if (l2w[i] === 0) continue;
    s += 0.5 * l2w[i]! * theta[i]! * theta[i]!;
    grad[i]! += l2w[i]! * theta[i]!;
  }
  return s;
}

function binaryLoss(
  data: Instance[],
  theta: Float64Array,
  grad: Float64Array,
  inv: Float64Array,
  d: number,
  fitIntercept: boolean,
  W: number,
  l2w: Float64Array,
): number {
  grad.fill(0);
  let loss = 0;
  for (const { features, label, weight } of data) {
    if (weight === 0) continue;
    let m = fitIntercept ? theta[d]! : 0;
    features.foreachActive((j, v) => {
      m += theta[j]! * v * inv[j]!;
    });
    // log(1 + e^m) - y·m, computed stably
    loss += weight * ((m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - label * m);
    const mult = weight * (1 / (1 + Math.exp(-m)) - label);
    features.foreachActive((j, v) => {
      grad[j]! += mult * v * inv[j]!;
    });
    if (fitIntercept) grad[d]! += mult;
  }
  for (let i = 0; i < grad.length; i++) grad[i]! /= W;
  return loss / W + l2Part(theta, grad, l2w);
}

function softmaxLoss(
  data: Instance[],
  theta: Float64Array,
  grad: Float64Array,
  inv: Float64Array,
  d: number,
  K: number,
  fitIntercept: boolean,
  W: number,
  l2w: Float64Array,
): number {
  grad.fill(0);
  const stride = d + (fitIntercept ? 1 : 0);
  const margins = new Float64Array(K);
  let loss = 0;
  for (const { features, label, weight } of data) {
    if (weight === 0) continue;
    for (let k = 0; k < K; k++) margins[k] = fitIntercept ? theta[k * stride + d]! : 0;
    features.foreachActive((j, v) => {
      const x = v * inv[j]!;
      for (let k = 0; k < K; k++) margins[k]! += theta[k * stride + j]! * x;
    });
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) max = Math.max(max, margins[k]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(margins[k]! - max);
    loss += weight * (Math.log(sum) + max - margins[label]!);
    for (let k = 0; k < K; k++) {
      const mult = weight * (Math.exp(margins[k]! - max) / sum - (k === label ? 1 : 0));
      features.foreachActive((j, v) => {
        grad[k * stride + j]! += mult * v * inv[j]!;
      });
      if (fitIntercept) grad[k * stride + d]! += mult;
    }
  }
  for (let i = 0; i < grad.length; i++) grad[i]! /= W;
  return loss / W + l2Part(theta, grad, l2w);
}

export class LogisticRegressionModel extends ProbabilisticClassificationModel {
  constructor(
    uid: string,
    /** one row per class when multinomial, a single row when binomial */
    readonly coefficientMatrix: Float64Array[],
    readonly interceptVector: Float64Array,
    readonly isMultinomial: boolean,
    readonly numClasses: number,
  ) {
    super("logreg", LR_PARAMS, uid);
  }
  get numFeatures(): number {
    return this.coefficientMatrix[0]!.length;
  }
  /** the binomial coefficients (Spark throws for a multinomial model; so does this) */
  get coefficients(): DenseVector {
    if (this.isMultinomial)
      throw new MLError(
        "MR_ML_STATE",
        "LogisticRegressionModel: a multinomial model has coefficientMatrix, not coefficients",
      );
    return new DenseVector(this.coefficientMatrix[0]!);
  }
  get intercept(): number {
    if (this.isMultinomial)
      throw new MLError(
        "MR_ML_STATE",
        "LogisticRegressionModel: a multinomial model has interceptVector, not intercept",
      );
    return this.interceptVector[0]!;
  }
  setThreshold(t: number): this {
    return this.set("threshold", t);
  }

  private margin(k: number, features: Vector): number {
    return features.dot(new DenseVector(this.coefficientMatrix[k]!)) + this.interceptVector[k]!;
  }

  predictRaw(features: Vector): DenseVector {
    if (!this.isMultinomial) {
      const m = this.margin(0, features);
      return new DenseVector(Float64Array.of(-m, m));
    }
    return new DenseVector(Float64Array.from({ length: this.numClasses }, (_, k) => this.margin(k, features)));
  }

  override rawToProbability(raw: DenseVector): DenseVector {
    if (this.isMultinomial) return super.rawToProbability(raw);
    const p = 1 / (1 + Math.exp(-raw.values[1]!));
    return new DenseVector(Float64Array.of(1 - p, p));
  }

  override probabilityToPrediction(prob: DenseVector): number {
    if (this.isMultinomial || this.isSet("thresholds")) return super.probabilityToPrediction(prob);
    return prob.values[1]! > this.getOrDefault<number>("threshold") ? 1 : 0;
  }
}
