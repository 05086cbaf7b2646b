/**
 * LinearRegression as Spark ML fits it: features and label standardized (label by its unbiased std,
 * features centered when fitIntercept), objective
 *   (1/2Σw) Σ w·(β'·x' − y')² + (regParam / σ_y)·(α‖β'‖₁ + (1−α)/2‖β'‖²)
 * in that space (penalties divided by σ_j, σ_j² when standardization is false), minimized by L-BFGS or
 * OWL-QN, then mapped back: β_j = β'_j·σ_y/σ_j, intercept = ȳ − β·x̄. A constant label with
 * fitIntercept gives zero coefficients and intercept ȳ, as Spark does.
 */
import { DenseVector, type Vector } from "../linalg.js";
import { minimize } from "../optim/lbfgs.js";
import { requireParam, type Row } from "../param.js";
import { PREDICTOR_PARAMS, PredictionModel, Predictor } from "../predictor.js";
import { type Instance, summarize } from "../instances.js";

const LIN_PARAMS = {
  ...PREDICTOR_PARAMS,
  maxIter: 100,
  regParam: 0.0,
  elasticNetParam: 0.0,
  tol: 1e-6,
  fitIntercept: true,
  standardization: true,
  solver: "auto",
  loss: "squaredError",
};

export class LinearRegression extends Predictor<LinearRegressionModel> {
  constructor(uid?: string) {
    super("linReg", LIN_PARAMS, uid);
  }
  setMaxIter(n: number): this {
    return this.set("maxIter", n);
  }
  setRegParam(x: number): this {
    requireParam(x >= 0, "LinearRegression", "regParam must be >= 0");
    return this.set("regParam", x);
  }
  setElasticNetParam(x: number): this {
    requireParam(x >= 0 && x <= 1, "LinearRegression", "elasticNetParam must be in [0, 1]");
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

  fit(rows: Row[]): LinearRegressionModel {
    const data = this.instances(rows);
    const { coefficients, intercept } = this.train(data);
    return new LinearRegressionModel(this.uid, new DenseVector(coefficients), intercept).setParams(this.paramMap());
  }

  private train(data: Instance[]): { coefficients: Float64Array; intercept: number } {
    const s = summarize(data);
    const d = s.numFeatures;
    const fitIntercept = this.getOrDefault<boolean>("fitIntercept");
    if (s.labelStd === 0 && fitIntercept) return { coefficients: new Float64Array(d), intercept: s.labelMean };
    const yStd = s.labelStd > 0 ? s.labelStd : Math.abs(s.labelMean) || 1;
    const reg = this.getOrDefault<number>("regParam") / yStd;
    const alpha = this.getOrDefault<number>("elasticNetParam");
    const standardize = this.getOrDefault<boolean>("standardization");
    const inv = s.std.map((x) => (x > 0 ? 1 / x : 0));
    const xMean = fitIntercept ? s.mean : new Float64Array(d);
    const yMean = fitIntercept ? s.labelMean : 0;
    const l1w = new Float64Array(d);
    const l2w = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      if (inv[j] === 0) continue;
      l1w[j] = alpha * reg * (standardize ? 1 : inv[j]!);
      l2w[j] = (1 - alpha) * reg * (standardize ? 1 : inv[j]! * inv[j]!);
    }
    // offset = Σ β'_j·x̄_j/σ_j, so the centered margin is Σ β'_j x_j/σ_j − offset (sparse-friendly)
    const objective = (b: Float64Array, grad: Float64Array): number => {
      grad.fill(0);
      let offset = 0;
      for (let j = 0; j < d; j++) offset += b[j]! * xMean[j]! * inv[j]!;
      let loss = 0;
      let gradOffset = 0;
      for (const { features, label, weight } of data) {
        let m = -offset;
        features.foreachActive((j, v) => {
          m += b[j]! * v * inv[j]!;
        });
        const diff = m - (label - yMean) / yStd;
        loss += 0.5 * weight * diff * diff;
        const mult = weight * diff;
        gradOffset += mult;
        features.foreachActive((j, v) => {
          grad[j]! += mult * v * inv[j]!;
        });
      }
      let pen = 0;
      for (let j = 0; j < d; j++) {
        grad[j] = (grad[j]! - gradOffset * xMean[j]! * inv[j]!) / s.weightSum + l2w[j]! * b[j]!;
        pen += 0.5 * l2w[j]! * b[j]! * b[j]!;
      }
      return loss / s.weightSum + pen;
    };
    const r = minimize(objective, new Float64Array(d), {
      maxIter: this.getOrDefault<number>("maxIter"),
      tol: Math.min(this.getOrDefault<number>("tol"), 1e-6) * 1e-4,
      l1: alpha * reg > 0 ? l1w : undefined,
    });
    const coefficients = r.x.map((b, j) => b * yStd * inv[j]!);
    let intercept = 0;
    if (fitIntercept) {
      intercept = s.labelMean;
      for (let j = 0; j < d; j++) intercept -= coefficients[j]! * s.mean[j]!;
    }
    return { coefficients, intercept };
  }
}

export class LinearRegressionModel extends PredictionModel {
  constructor(
    uid: string,
    readonly coefficients: DenseVector,
    readonly intercept: number,
  ) {
    super("linReg", LIN_PARAMS, uid);
  }
  get numFeatures(): number {
    return this.coefficients.size;
  }
  predict(features: Vector): number {
    return features.dot(this.coefficients) + this.intercept;
  }
}
