/**
 * Predictors and prediction models with Spark ML's column names: featuresCol "features", labelCol
 * "label", predictionCol "prediction", optional weightCol; probabilistic classifiers add
 * rawPredictionCol "rawPrediction" and probabilityCol "probability".
 */
import { DenseVector, type Vector } from "./linalg.js";
import type { Row } from "./param.js";
import { Estimator, Model, column } from "./pipeline-stage.js";
import { asVector } from "./feature/idf.js";
import { type Instance, instancesOf } from "./instances.js";

export const PREDICTOR_PARAMS = {
  featuresCol: "features",
  labelCol: "label",
  predictionCol: "prediction",
  weightCol: undefined,
};

export const PROBABILISTIC_PARAMS = {
  ...PREDICTOR_PARAMS,
  rawPredictionCol: "rawPrediction",
  probabilityCol: "probability",
  thresholds: undefined,
};

export abstract class Predictor<M extends Model> extends Estimator<M> {
  setFeaturesCol(c: string): this {
    return this.set("featuresCol", c);
  }
  setLabelCol(c: string): this {
    return this.set("labelCol", c);
  }
  setPredictionCol(c: string): this {
    return this.set("predictionCol", c);
  }
  setWeightCol(c: string): this {
    return this.set("weightCol", c);
  }
  protected instances(rows: Row[]): Instance[] {
    return instancesOf(
      rows,
      {
        featuresCol: this.getOrDefault("featuresCol"),
        labelCol: this.getOrDefault("labelCol"),
        weightCol: this.isDefined("weightCol") ? this.getOrDefault<string>("weightCol") : undefined,
      },
      this.constructor.name,
    );
  }
}

/** a classifier whose model gives raw predictions and probabilities (Spark's ProbabilisticClassifier) */
export abstract class ProbabilisticClassifier<M extends Model> extends Predictor<M> {
  setProbabilityCol(c: string): this {
    return this.set("probabilityCol", c);
  }
  setRawPredictionCol(c: string): this {
    return this.set("rawPredictionCol", c);
  }
}

export abstract class PredictionModel extends Model {
  setFeaturesCol(c: string): this {
    return this.set("featuresCol", c);
  }
  setPredictionCol(c: string): this {
    return this.set("predictionCol", c);
  }
  abstract get numFeatures(): number;
  /** the prediction for one feature vector */
  abstract predict(features: Vector): number;

  protected featuresOf(row: Row): Vector {
    const name = this.constructor.name;
    return asVector(column(row, this.getOrDefault("featuresCol"), name), name);
  }

  transformRow(row: Row): Row {
    return { ...row, [this.getOrDefault<string>("predictionCol")]: this.predict(this.featuresOf(row)) };
  }
}

export abstract class ClassificationModel extends PredictionModel {
  abstract get numClasses(): number;
}

export abstract class ProbabilisticClassificationModel extends ClassificationModel {
  setRawPredictionCol(c: string): this {
    return this.set("rawPredictionCol", c);
  }
  setProbabilityCol(c: string): this {
    return this.set("probabilityCol", c);
  }
  /** per-class thresholds: the prediction is the class of largest probability / threshold */
  setThresholds(t: number[]): this {
    return this.set("thresholds", [...t]);
  }

  abstract predictRaw(features: Vector): DenseVector;
  /** softmax of the raw prediction, by default */
  rawToProbability(raw: DenseVector): DenseVector {
    return new DenseVector(softmax(raw.values));
  }
  probabilityToPrediction(prob: DenseVector): number {
    const t = this.isDefined("thresholds") ? this.getOrDefault<number[]>("thresholds") : undefined;
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < prob.size; k++) {
      const p = prob.values[k]!;
      const score = t ? (t[k] === 0 ? Number.POSITIVE_INFINITY : p / t[k]!) : p;
      if (score > bestScore) {
        best = k;
        bestScore = score;
      }
    }
    return best;
  }
  predictProbability(features: Vector): DenseVector {
    return this.rawToProbability(this.predictRaw(features));
  }
  predict(features: Vector): number {
    return this.probabilityToPrediction(this.predictProbability(features));
  }

  override transformRow(row: Row): Row {
    const raw = this.predictRaw(this.featuresOf(row));
    const prob = this.rawToProbability(raw);
    return {
      ...row,
      [this.getOrDefault<string>("rawPredictionCol")]: raw,
      [this.getOrDefault<string>("probabilityCol")]: prob,
      [this.getOrDefault<string>("predictionCol")]: this.probabilityToPrediction(prob),
    };
  }
}

export function softmax(x: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]!);
  const out = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.exp(x[i]! - max);
    s += out[i]!;
  }
  for (let i = 0; i < x.length; i++) out[i]! /= s;
  return out;
}
