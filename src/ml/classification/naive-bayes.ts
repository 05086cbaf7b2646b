/**
 * NaiveBayes as Spark ML fits it (modelType "multinomial" default, or "bernoulli"; smoothing λ = 1.0):
 *   pi[c]      = log(n_c + λ) − log(N + K·λ)                      (n_c: weight of class c, K classes)
 *   multinomial theta[c][j] = log(s_cj + λ) − log(Σ_j s_cj + D·λ)   (s_cj: weighted sum of feature j in c)
 *   bernoulli   theta[c][j] = log(s_cj + λ) − log(n_c + 2λ)         (features must be 0 or 1)
 * rawPrediction is the log joint likelihood per class; probability its softmax.
 */
import { MLError } from "../errors.js";
import { DenseVector, type Vector } from "../linalg.js";
import { requireParam, type Row } from "../param.js";
import { PROBABILISTIC_PARAMS, ProbabilisticClassificationModel, ProbabilisticClassifier } from "../predictor.js";
import { numClassesOf } from "../instances.js";

const NB_PARAMS = { ...PROBABILISTIC_PARAMS, smoothing: 1.0, modelType: "multinomial" };

function checkFeatures(v: Vector, modelType: string): void {
  v.foreachActive((_j, x) => {
    if (modelType === "bernoulli" ? x !== 0 && x !== 1 : !(x >= 0))
      throw new MLError(
        "MR_ML_INPUT",
        `NaiveBayes: ${modelType} requires ${modelType === "bernoulli" ? "0/1" : "nonnegative"}` +
          ` feature values, got ${x}`,
      );
  });
}

export class NaiveBayes extends ProbabilisticClassifier<NaiveBayesModel> {
  constructor(uid?: string) {
    super("nb", NB_PARAMS, uid);
  }
  setSmoothing(x: number): this {
    requireParam(x >= 0, "NaiveBayes", "smoothing must be >= 0");
    return this.set("smoothing", x);
  }
  /** "multinomial" or "bernoulli" */
  setModelType(t: string): this {
    requireParam(t === "multinomial" || t === "bernoulli", "NaiveBayes", `unsupported modelType ${t}`);
    return this.set("modelType", t);
  }

  fit(rows: Row[]): NaiveBayesModel {
    const data = this.instances(rows);
    const modelType = this.getOrDefault<string>("modelType");
    const lambda = this.getOrDefault<number>("smoothing");
    const K = numClassesOf(data, "NaiveBayes");
    const D = data[0]!.features.size;
    const n = new Float64Array(K);
    const sums = Array.from({ length: K }, () => new Float64Array(D));
    for (const { features, label, weight } of data) {
      checkFeatures(features, modelType);
      n[label]! += weight;
      const s = sums[label]!;
      features.foreachActive((j, x) => {
        s[j]! += weight * x;
      });
    }
    const N = n.reduce((a, b) => a + b, 0);
    const piLogDenom = Math.log(N + K * lambda);
    const pi = n.map((c) => Math.log(c + lambda) - piLogDenom);
    const theta = sums.map((s, c) => {
      const denom =
        modelType === "multinomial"
          ? Math.log(s.reduce((a, b) => a + b, 0) + D * lambda)
          : Math.log(n[c]! + 2 * lambda);
      return s.map((x) => Math.log(x + lambda) - denom);
    });
    return new NaiveBayesModel(this.uid, pi, theta).setParams(this.paramMap());
  }
}

export class NaiveBayesModel extends ProbabilisticClassificationModel {
  /** bernoulli: log(1 − exp(theta)) and its row sums */
  private negTheta: Float64Array[] | undefined;
  private negThetaSum: Float64Array | undefined;

  constructor(
    uid: string,
    readonly pi: Float64Array,
    readonly theta: Float64Array[],
  ) {
    super("nb", NB_PARAMS, uid);
  }
  get numClasses(): number {
    return this.pi.length;
  }
  get numFeatures(): number {
    return this.theta[0]?.length ?? 0;
  }

  predictRaw(features: Vector): DenseVector {
    const modelType = this.getOrDefault<string>("modelType");
    checkFeatures(features, modelType);
    const K = this.numClasses;
    const raw = Float64Array.from(this.pi);
    if (modelType === "multinomial") {
      for (let c = 0; c < K; c++) raw[c]! += features.dot(new DenseVector(this.theta[c]!));
      return new DenseVector(raw);
    }
    if (!this.negTheta) {
      this.negTheta = this.theta.map((row) => row.map((t) => Math.log1p(-Math.exp(t))));
      this.negThetaSum = Float64Array.from(this.negTheta, (row) => row.reduce((a, b) => a + b, 0));
    }
    for (let c = 0; c < K; c++) {
      const th = this.theta[c]!;
      const ng = this.negTheta[c]!;
      let s = this.negThetaSum![c]!;
      features.foreachActive((j, x) => {
        s += x * (th[j]! - ng[j]!);
      });
      raw[c]! += s;
    }
    return new DenseVector(raw);
  }
}
