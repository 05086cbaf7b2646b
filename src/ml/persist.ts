/**
 * save/load of stages as a versioned JSON directory, laid out as Spark ML lays out its own:
 *   <dir>/metadata.json   {class, sparkClass, formatVersion, millraceVersion, timestamp, uid, paramMap,
 *                          defaultParamMap}
 *   <dir>/data.json       the model data (coefficients, vocabulary, idf, ...), for models
 *   <dir>/stages/<i>_<uid>/  the stages of a Pipeline or PipelineModel, each saved the same way
 * Files are written with src/fs writeFileAtomicSync; typed arrays become arrays and non-finite numbers
 * {"$double": "Infinity"}, so values round-trip exactly.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../fs/index.js";
import { MLError } from "./errors.js";
import { CountVectorizer, CountVectorizerModel } from "./feature/count-vectorizer.js";
import { HashingTF } from "./feature/hashing-tf.js";
import { IDF, IDFModel } from "./feature/idf.js";
import { NGram, RegexTokenizer, Stemmer, StopWordsRemover, Tokenizer } from "./feature/text.js";
import { StandardScaler, StandardScalerModel, VectorAssembler } from "./feature/vectors.js";
import { LogisticRegression, LogisticRegressionModel } from "./classification/logistic-regression.js";
import { NaiveBayes, NaiveBayesModel } from "./classification/naive-bayes.js";
import { LinearRegression, LinearRegressionModel } from "./regression/linear-regression.js";
import { DenseVector, Vectors } from "./linalg.js";
import { Pipeline, PipelineModel, setLoader } from "./pipeline.js";
import { KMeans, KMeansModel } from "./clustering/kmeans.js";
import {
  DecisionTreeClassificationModel,
  DecisionTreeClassifier,
  DecisionTreeRegressionModel,
  DecisionTreeRegressor,
  RandomForestClassificationModel,
  RandomForestClassifier,
} from "./tree/decision-tree.js";
import type { TreeNode } from "./tree/tree.js";
import { type PipelineStage, type Transformer, setSaver } from "./pipeline-stage.js";

export const FORMAT_VERSION = 1;

interface Entry {
  sparkClass: string;
  /** the model data to write to data.json (typed arrays are written as arrays) */
  data?: (s: PipelineStage) => unknown;
  /** the stage from its uid, its model data as read back from data.json, and its directory */
  load: (uid: string, data: unknown, dir: string) => PipelineStage;
}

type Ctor = new (...a: never[]) => PipelineStage;

/** an Entry from typed functions: `data` gets a stage of class C; `load` declares the JSON it reads */
function entryOf<M extends PipelineStage, D>(
  sparkClass: string,
  data: ((m: M) => unknown) | undefined,
  load: (uid: string, d: D, dir: string) => PipelineStage,
): Entry {
  return { sparkClass, ...(data ? { data: data as Entry["data"] } : {}), load: load as Entry["load"] };
}

let registry: Map<Ctor, [string, Entry]> | undefined;
function entries(): Map<Ctor, [string, Entry]> {
  if (registry) return registry;
  const F = "org.apache.spark.ml.feature.";
  const simple = (C: new (uid?: string) => PipelineStage, spark: string): [Ctor, [string, Entry]] => [
    C,
    [C.name, { sparkClass: spark, load: (uid) => new C(uid) }],
  ];
  const model = <M extends PipelineStage, D>(
    C: new (...a: never[]) => M,
    spark: string,
    data: ((m: M) => unknown) | undefined,
    load: (uid: string, d: D, dir: string) => PipelineStage,
  ): [Ctor, [string, Entry]] => [C, [C.name, entryOf(spark, data, load)]];
  registry = new Map([
    simple(Tokenizer, `${F}Tokenizer`),
    simple(RegexTokenizer, `${F}RegexTokenizer`),
    simple(StopWordsRemover, `${F}StopWordsRemover`),
    simple(NGram, `${F}NGram`),
    simple(Stemmer, "millrace.ml.feature.Stemmer"),
    simple(HashingTF, `${F}HashingTF`),
    simple(IDF, `${F}IDF`),
    simple(CountVectorizer, `${F}CountVectorizer`),
    simple(VectorAssembler, `${F}VectorAssembler`),
    simple(StandardScaler, `${F}StandardScaler`),
    simple(LogisticRegression, "org.apache.spark.ml.classification.LogisticRegression"),
    simple(NaiveBayes, "org.apache.spark.ml.classification.NaiveBayes"),
    simple(LinearRegression, "org.apache.spark.ml.regression.LinearRegression"),
    model(
      IDFModel,
      `${F}IDFModel`,
      (m: IDFModel) => ({ idf: m.idf.values, docFreq: m.docFreq, numDocs: m.numDocs }),
      (uid, d: { idf: number[]; docFreq: number[]; numDocs: number }) =>
        new IDFModel(uid, Vectors.dense(d.idf), d.docFreq, d.numDocs),
    ),
    model(
      CountVectorizerModel,
      `${F}CountVectorizerModel`,
      (m: CountVectorizerModel) => ({ vocabulary: m.vocabulary }),
      (uid, d: { vocabulary: string[] }) => new CountVectorizerModel(d.vocabulary, uid),
    ),
    model(
      StandardScalerModel,
      `${F}StandardScalerModel`,
      (m: StandardScalerModel) => ({ std: m.std.values, mean: m.mean.values }),
      (uid, d: { std: number[]; mean: number[] }) =>
        new StandardScalerModel(uid, Vectors.dense(d.std), Vectors.dense(d.mean)),
    ),
    model(
      LogisticRegressionModel,
      "org.apache.spark.ml.classification.LogisticRegressionModel",
      (m: LogisticRegressionModel) => ({
        numClasses: m.numClasses,
        isMultinomial: m.isMultinomial,
        coefficientMatrix: m.coefficientMatrix,
        interceptVector: m.interceptVector,
      }),
      (
        uid,
        d: { numClasses: number; isMultinomial: boolean; coefficientMatrix: number[][]; interceptVector: number[] },
      ) =>
        new LogisticRegressionModel(
          uid,
          (d.coefficientMatrix as number[][]).map((r) => Float64Array.from(r)),
          Float64Array.from(d.interceptVector),
          d.isMultinomial,
          d.numClasses,
        ),
    ),
    model(
      NaiveBayesModel,
      "org.apache.spark.ml.classification.NaiveBayesModel",
      (m: NaiveBayesModel) => ({ pi: m.pi, theta: m.theta }),
      (uid, d: { pi: number[]; theta: number[][] }) =>
        new NaiveBayesModel(
          uid,
          Float64Array.from(d.pi),
          (d.theta as number[][]).map((r) => Float64Array.from(r)),
        ),
    ),
    model(
      LinearRegressionModel,
      "org.apache.spark.ml.regression.LinearRegressionModel",
      (m: LinearRegressionModel) => ({ coefficients: m.coefficients.values, intercept: m.intercept }),
      (uid, d: { coefficients: number[]; intercept: number }) =>
        new LinearRegressionModel(uid, new DenseVector(Float64Array.from(d.coefficients)), d.intercept),
    ),
    simple(DecisionTreeClassifier, "org.apache.spark.ml.classification.DecisionTreeClassifier"),
    simple(DecisionTreeRegressor, "org.apache.spark.ml.regression.DecisionTreeRegressor"),
    simple(RandomForestClassifier, "org.apache.spark.ml.classification.RandomForestClassifier"),
    model(
      DecisionTreeClassificationModel,
      "org.apache.spark.ml.classification.DecisionTreeClassificationModel",
      (m: DecisionTreeClassificationModel) => ({
        rootNode: m.rootNode,
        numFeatures: m.numFeatures,
        numClasses: m.numClasses,
      }),
      (uid, d: { rootNode: TreeNode; numFeatures: number; numClasses: number }) =>
        new DecisionTreeClassificationModel(uid, d.rootNode, d.numFeatures, d.numClasses),
    ),
    model(
      DecisionTreeRegressionModel,
      "org.apache.spark.ml.regression.DecisionTreeRegressionModel",
      (m: DecisionTreeRegressionModel) => ({ rootNode: m.rootNode, numFeatures: m.numFeatures }),
      (uid, d: { rootNode: TreeNode; numFeatures: number }) =>
        new DecisionTreeRegressionModel(uid, d.rootNode, d.numFeatures),
    ),
    model(
      RandomForestClassificationModel,
      "org.apache.spark.ml.classification.RandomForestClassificationModel",
      (m: RandomForestClassificationModel) => ({
        trees: m.trees,
        numFeatures: m.numFeatures,
        numClasses: m.numClasses,
      }),
      (uid, d: { trees: TreeNode[]; numFeatures: number; numClasses: number }) =>
        new RandomForestClassificationModel(uid, d.trees, d.numFeatures, d.numClasses),
    ),
    simple(KMeans, "org.apache.spark.ml.clustering.KMeans"),
    model(
      KMeansModel,
      "org.apache.spark.ml.clustering.KMeansModel",
      (m: KMeansModel) => ({ clusterCenters: m.clusterCenters.map((c) => c.values) }),
      (uid, d: { clusterCenters: number[][] }) =>
        new KMeansModel(
          uid,
          (d.clusterCenters as number[][]).map((c) => Vectors.dense(c)),
        ),
    ),
    model(Pipeline, "org.apache.spark.ml.Pipeline", undefined, (uid, _d, dir) =>
      new Pipeline(uid).setStages(loadStages(dir)),
    ),
    model(
      PipelineModel,
      "org.apache.spark.ml.PipelineModel",
      undefined,
      (uid, _d, dir) => new PipelineModel(loadStages(dir) as Transformer[], uid),
    ),
  ]);
  return registry;
}

/** registers another stage class for save/load (name: the `class` written in metadata.json) */
export function registerStage<M extends PipelineStage, D>(
  C: new (...a: never[]) => M,
  sparkClass: string,
  load: (uid: string, data: D, dir: string) => PipelineStage,
  data?: (s: M) => unknown,
): void {
  entries().set(C, [C.name, entryOf(sparkClass, data, load)]);
}

function toJson(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) => {
      if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as Float64Array);
      if (typeof x === "number" && !Number.isFinite(x)) return { $double: String(x) };
      return x;
    },
    0,
  );
}

function fromJson(s: string): unknown {
  return JSON.parse(s, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) && typeof x.$double === "string" && Object.keys(x).length === 1
      ? Number(x.$double)
      : x,
  );
}

function millraceVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
      .version;
  } catch {
    return "unknown";
  }
}

function stagesOf(stage: PipelineStage): PipelineStage[] | undefined {
  if (stage instanceof Pipeline) return stage.getStages();
  if (stage instanceof PipelineModel) return stage.stages;
  return undefined;
}

export function saveStage(stage: PipelineStage, dir: string, opts: { overwrite?: boolean } = {}): void {
  const found = [...entries().entries()].find(([C]) => stage.constructor === C);
  if (!found)
    throw new MLError("MR_ML_PERSIST", `${stage.constructor.name} cannot be saved (not registered with registerStage)`);
  const [, [name, entry]] = found;
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!opts.overwrite)
      throw new MLError("MR_ML_PERSIST", `${dir} already exists; save(dir, { overwrite: true }) to replace it`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const metadata = {
    class: name,
    sparkClass: entry.sparkClass,
    formatVersion: FORMAT_VERSION,
    millraceVersion: millraceVersion(),
    timestamp: Date.now(),
    uid: stage.uid,
    paramMap: stage.paramMap(),
    defaultParamMap: stage.defaultParamMap(),
  };
  const subs = stagesOf(stage);
  if (subs) {
    (metadata as Record<string, unknown>).stageUids = subs.map((s) => s.uid);
    subs.forEach((s, i) => {
      saveStage(s, join(dir, "stages", `${i}_${s.uid}`));
    });
  }
  if (entry.data) writeFileAtomicSync(join(dir, "data.json"), toJson(entry.data(stage)));
  writeFileAtomicSync(join(dir, "metadata.json"), toJson(metadata));
}

function loadStages(dir: string): PipelineStage[] {
  const root = join(dir, "stages");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => [Number(n.split("_")[0]), n] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, n]) => loadStage(join(root, n)));
}

/** reads a stage saved by save(): its class, uid, params and model data */
export function loadStage<T extends PipelineStage = PipelineStage>(dir: string): T {
  let meta: { class: string; formatVersion: number; uid: string; paramMap: Record<string, unknown> };
  try {
    meta = fromJson(readFileSync(join(dir, "metadata.json"), "utf8")) as typeof meta;
  } catch (e) {
    throw new MLError("MR_ML_PERSIST", `cannot read ${join(dir, "metadata.json")}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (meta.formatVersion > FORMAT_VERSION)
    throw new MLError(
      "MR_ML_PERSIST",
      `${dir} has format version ${meta.formatVersion}; this millrace reads ${FORMAT_VERSION}`,
    );
  const found = [...entries().values()].find(([name]) => name === meta.class);
  if (!found) throw new MLError("MR_ML_PERSIST", `${dir}: unknown stage class ${meta.class}`);
  const entry = found[1];
  const data = entry.data ? fromJson(readFileSync(join(dir, "data.json"), "utf8")) : undefined;
  const stage = entry.load(meta.uid, data, dir);
  return stage.setParams(meta.paramMap) as T;
}

setSaver(saveStage);
setLoader(loadStage);
