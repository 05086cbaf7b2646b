/**
 * DecisionTreeClassifier / DecisionTreeRegressor and RandomForestClassifier with Spark ML's parameters
 * and defaults (maxDepth 5, maxBins 32, minInstancesPerNode 1, minInfoGain 0, impurity gini / variance;
 * forests: numTrees 20, featureSubsetStrategy "auto" = sqrt for classification, bootstrap with
 * Poisson(1) weights, subsamplingRate 1.0). Continuous features only. A forest's probability is the mean
 * of its trees' class probabilities; its random draws come from XORShiftRandom(seed), so a seed gives
 * the same forest here (not Spark's trees, whose draws depend on its partitioning).
 */
import { MLError } from "../errors.js";
import { DenseVector, type Vector } from "../linalg.js";
import { numClassesOf } from "../instances.js";
import { requireParam, type Row } from "../param.js";
import {
  PREDICTOR_PARAMS,
  PROBABILISTIC_PARAMS,
  PredictionModel,
  Predictor,
  ProbabilisticClassificationModel,
} from "../predictor.js";
import { XORShiftRandom } from "../random.js";
import { type Impurity, type TreeNode, debugString, depthOf, growTree, leafOf, numNodesOf } from "./tree.js";

const TREE = { maxDepth: 5, maxBins: 32, minInstancesPerNode: 1, minInfoGain: 0.0, seed: 0 };
const CLS_PARAMS = { ...PROBABILISTIC_PARAMS, ...TREE, impurity: "gini" };
const REG_PARAMS = { ...PREDICTOR_PARAMS, ...TREE, impurity: "variance" };
const RF_PARAMS = {
  ...CLS_PARAMS,
  numTrees: 20,
  featureSubsetStrategy: "auto",
  subsamplingRate: 1.0,
  bootstrap: true,
};

abstract class TreePredictor<M extends PredictionModel> extends Predictor<M> {
  setMaxDepth(n: number): this {
    requireParam(Number.isInteger(n) && n >= 0 && n <= 30, this.constructor.name, "maxDepth must be in [0, 30]");
    return this.set("maxDepth", n);
  }
  setMaxBins(n: number): this {
    requireParam(Number.isInteger(n) && n >= 2, this.constructor.name, "maxBins must be >= 2");
    return this.set("maxBins", n);
  }
  setMinInstancesPerNode(n: number): this {
    requireParam(Number.isInteger(n) && n >= 1, this.constructor.name, "minInstancesPerNode must be >= 1");
    return this.set("minInstancesPerNode", n);
  }
  setMinInfoGain(x: number): this {
    return this.set("minInfoGain", x);
  }
  setImpurity(i: string): this {
    return this.set("impurity", i);
  }
  setSeed(s: number): this {
    return this.set("seed", s);
  }
  protected treeParams(numClasses: number) {
    const impurity = this.getOrDefault<string>("impurity") as Impurity;
    const ok = numClasses > 0 ? impurity === "gini" || impurity === "entropy" : impurity === "variance";
    requireParam(ok, this.constructor.name, `impurity ${impurity} does not fit this task`);
    return {
      maxDepth: this.getOrDefault<number>("maxDepth"),
      maxBins: this.getOrDefault<number>("maxBins"),
      minInstancesPerNode: this.getOrDefault<number>("minInstancesPerNode"),
      minInfoGain: this.getOrDefault<number>("minInfoGain"),
      impurity,
      numClasses,
    };
  }
}

export class DecisionTreeClassifier extends TreePredictor<DecisionTreeClassificationModel> {
  constructor(uid?: string) {
    super("dtc", CLS_PARAMS, uid);
  }
  fit(rows: Row[]): DecisionTreeClassificationModel {
    const data = this.instances(rows);
    const K = Math.max(2, numClassesOf(data, "DecisionTreeClassifier"));
    const root = growTree(data, this.treeParams(K));
    return new DecisionTreeClassificationModel(this.uid, root, data[0]!.features.size, K).setParams(this.paramMap());
  }
}

export class DecisionTreeClassificationModel extends ProbabilisticClassificationModel {
  constructor(
    uid: string,
    readonly rootNode: TreeNode,
    readonly numFeatures: number,
    readonly numClasses: number,
  ) {
    super("dtc", CLS_PARAMS, uid);
  }
  get depth(): number {
    return depthOf(this.rootNode);
  }
  get numNodes(): number {
    return numNodesOf(this.rootNode);
  }
  /** the class weights of the training rows in the leaf */
  predictRaw(features: Vector): DenseVector {
    return new DenseVector(Float64Array.from(leafOf(this.rootNode, features).stats));
  }
  override rawToProbability(raw: DenseVector): DenseVector {
    return normalized(raw);
  }
  toDebugString(): string {
    return (
      `DecisionTreeClassificationModel: uid=${this.uid}, depth=${this.depth}, numNodes=${this.numNodes}` +
      `, numClasses=${this.numClasses}, numFeatures=${this.numFeatures}\n${debugString(this.rootNode)}`
    );
  }
}

export class DecisionTreeRegressor extends TreePredictor<DecisionTreeRegressionModel> {
  constructor(uid?: string) {
    super("dtr", REG_PARAMS, uid);
  }
  fit(rows: Row[]): DecisionTreeRegressionModel {
    const data = this.instances(rows);
    const root = growTree(data, this.treeParams(0));
    return new DecisionTreeRegressionModel(this.uid, root, data[0]!.features.size).setParams(this.paramMap());
  }
}

export class DecisionTreeRegressionModel extends PredictionModel {
  constructor(
    uid: string,
    readonly rootNode: TreeNode,
    readonly numFeatures: number,
  ) {
    super("dtr", REG_PARAMS, uid);
  }
  get depth(): number {
    return depthOf(this.rootNode);
  }
  predict(features: Vector): number {
    return leafOf(this.rootNode, features).prediction;
  }
  toDebugString(): string {
    return (
      `DecisionTreeRegressionModel: uid=${this.uid}, depth=${this.depth}, numNodes=${numNodesOf(this.rootNode)}` +
      `, numFeatures=${this.numFeatures}\n${debugString(this.rootNode)}`
    );
  }
}

/** the raw prediction scaled to sum to 1 (all zeros when it sums to 0) */
function normalized(raw: DenseVector): DenseVector {
  const s = raw.values.reduce((a, b) => a + b, 0);
  return new DenseVector(raw.values.map((x) => (s === 0 ? 0 : x / s)));
}

function poisson1(rng: XORShiftRandom): number {
  const L = Math.exp(-1);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.nextDouble();
  } while (p > L);
  return k - 1;
}

function subsetSize(strategy: string, d: number): number {
  if (strategy === "auto" || strategy === "sqrt") return Math.ceil(Math.sqrt(d));
  if (strategy === "all") return d;
  if (strategy === "onethird") return Math.ceil(d / 3);
  if (strategy === "log2") return Math.max(1, Math.ceil(Math.log2(d)));
  const x = Number(strategy);
  if (Number.isFinite(x) && x > 0) return x >= 1 && Number.isInteger(x) ? Math.min(d, x) : Math.ceil(x * d);
  throw new MLError("MR_ML_PARAM", `RandomForestClassifier: unknown featureSubsetStrategy ${strategy}`);
}

export class RandomForestClassifier extends TreePredictor<RandomForestClassificationModel> {
  constructor(uid?: string) {
    super("rfc", RF_PARAMS, uid);
  }
  setNumTrees(n: number): this {
    requireParam(Number.isInteger(n) && n >= 1, "RandomForestClassifier", "numTrees must be >= 1");
    return this.set("numTrees", n);
  }
  setFeatureSubsetStrategy(s: string): this {
    return this.set("featureSubsetStrategy", s);
  }
  setSubsamplingRate(x: number): this {
    return this.set("subsamplingRate", x);
  }
  setBootstrap(b: boolean): this {
    return this.set("bootstrap", b);
  }
  fit(rows: Row[]): RandomForestClassificationModel {
    const data = this.instances(rows);
    const K = Math.max(2, numClassesOf(data, "RandomForestClassifier"));
    const d = data[0]!.features.size;
    const rng = new XORShiftRandom(this.getOrDefault<number>("seed"));
    const k = subsetSize(this.getOrDefault("featureSubsetStrategy"), d);
    const rate = this.getOrDefault<number>("subsamplingRate");
    const bootstrap = this.getOrDefault<boolean>("bootstrap");
    const featureSubset = (n: number) => {
      const all = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rng.nextDouble() * (n - i));
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      return all.slice(0, k).sort((a, b) => a - b);
    };
    const trees: TreeNode[] = [];
    for (let t = 0; t < this.getOrDefault<number>("numTrees"); t++) {
      const sample = data
        .map((x) => {
          const w = bootstrap ? poisson1(rng) : rng.nextDouble() < rate ? 1 : 0;
          return { ...x, weight: x.weight * w };
        })
        .filter((x) => x.weight > 0);
      if (sample.length === 0) continue;
      trees.push(growTree(sample, { ...this.treeParams(K), featureSubset }));
    }
    return new RandomForestClassificationModel(this.uid, trees, d, K).setParams(this.paramMap());
  }
}

export class RandomForestClassificationModel extends ProbabilisticClassificationModel {
  constructor(
    uid: string,
    readonly trees: TreeNode[],
    readonly numFeatures: number,
    readonly numClasses: number,
  ) {
    super("rfc", RF_PARAMS, uid);
  }
  getNumTrees(): number {
    return this.trees.length;
  }
  /** the sum over trees of each tree's class probabilities */
  predictRaw(features: Vector): DenseVector {
    const raw = new Float64Array(this.numClasses);
    for (const t of this.trees) {
      const s = leafOf(t, features).stats;
      const total = s.reduce((a, b) => a + b, 0);
      if (total > 0) for (let k = 0; k < raw.length; k++) raw[k]! += s[k]! / total;
    }
    return new DenseVector(raw);
  }
  override rawToProbability(raw: DenseVector): DenseVector {
    return normalized(raw);
  }
}
