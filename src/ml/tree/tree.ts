/**
 * Decision trees as Spark ML grows them, for continuous features: candidate thresholds from the sorted
 * distinct values (all midpoints when there are at most maxBins − 1 of them, else Spark's
 * equal-count stride over the weighted value counts, findSplitsForContinuousFeature), a value <= the
 * threshold going left; at each node the split of largest gain
 *   impurity(parent) − (w_L/w)·impurity(L) − (w_R/w)·impurity(R)
 * (first feature, then first threshold, among equals), valid when both sides hold minInstancesPerNode
 * instances and the gain is at least minInfoGain; a node is a leaf at maxDepth, with gain <= 0, or
 * when pure; a split into two leaves of the same prediction is pruned back into a leaf, as Spark does.
 * Impurities: gini, entropy (log base 2), variance.
 */
import { MLError } from "../errors.js";
import type { Instance } from "../instances.js";

export type Impurity = "gini" | "entropy" | "variance";

export interface TreeNode {
  /** class weights (classification) or [Σw, Σw·y, Σw·y²] (regression) of the training rows reaching the node */
  stats: number[];
  prediction: number;
  impurity: number;
  /** for an internal node */
  split?: { featureIndex: number; threshold: number };
  gain?: number;
  left?: TreeNode;
  right?: TreeNode;
}

export interface TreeParams {
  maxDepth: number;
  maxBins: number;
  minInstancesPerNode: number;
  minInfoGain: number;
  impurity: Impurity;
  /** classification: the number of classes; 0 for regression */
  numClasses: number;
  /** the features a node may split on (random forests); all when undefined */
  featureSubset?: (numFeatures: number) => number[];
}

export function impurityOf(kind: Impurity, s: ArrayLike<number>): number {
  if (kind === "variance") {
    const w = s[0]!;
    if (w === 0) return 0;
    return s[2]! / w - (s[1]! / w) ** 2;
  }
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i]!;
  if (total === 0) return 0;
  let imp = kind === "gini" ? 1 : 0;
  for (let i = 0; i < s.length; i++) {
    const p = s[i]! / total;
    if (kind === "gini") imp -= p * p;
    else if (p > 0) imp -= p * Math.log2(p);
  }
  return imp;
}

function predictionOf(kind: Impurity, s: ArrayLike<number>): number {
  if (kind === "variance") return s[0]! === 0 ? 0 : s[1]! / s[0]!;
  let best = 0;
  for (let i = 1; i < s.length; i++) if (s[i]! > s[best]!) best = i;
  return best;
}

function weightOfStats(kind: Impurity, s: ArrayLike<number>): number {
  if (kind === "variance") return s[0]!;
  let t = 0;
  for (let i = 0; i < s.length; i++) t += s[i]!;
  return t;
}

/** Spark's findSplitsForContinuousFeature over (value, weight) samples */
export function continuousSplits(values: number[], weights: number[], numSplits: number): number[] {
  const counts = new Map<number, number>();
  let total = 0;
  values.forEach((v, i) => {
    counts.set(v, (counts.get(v) ?? 0) + weights[i]!);
    total += weights[i]!;
  });
  const vc = [...counts].sort((a, b) => a[0] - b[0]);
  const possible = vc.length - 1;
  if (possible <= 0) return [];
  if (possible <= numSplits) return vc.slice(1).map(([v], i) => (vc[i]![0] + v) / 2);
  const stride = total / (numSplits + 1);
  const out: number[] = [];
  let current = vc[0]![1];
  let target = stride;
  for (let i = 1; i < vc.length; i++) {
    const previous = current;
    current += vc[i]![1];
    if (Math.abs(previous - target) < Math.abs(current - target)) {
      out.push((vc[i - 1]![0] + vc[i]![0]) / 2);
      target += stride;
    }
  }
  return out;
}

function statSize(p: TreeParams): number {
  return p.impurity === "variance" ? 3 : p.numClasses;
}

function addStats(p: TreeParams, s: Float64Array, off: number, x: Instance): void {
  if (p.impurity === "variance") {
    s[off]! += x.weight;
    s[off + 1]! += x.weight * x.label;
    s[off + 2]! += x.weight * x.label * x.label;
  } else s[off + x.label]! += x.weight;
}

/** grows a tree over dense rows (`rows[i]` the features of `data[i]`) */
export function growTree(data: Instance[], p: TreeParams): TreeNode {
  if (data.length === 0) throw new MLError("MR_ML_INPUT", "DecisionTree: cannot fit on an empty data set");
  if (p.impurity !== "variance")
    for (const x of data)
      if (!Number.isInteger(x.label) || x.label < 0 || x.label >= p.numClasses)
        throw new MLError("MR_ML_INPUT", `DecisionTree: class labels must be integers in [0, ${p.numClasses})`);
  const d = data[0]!.features.size;
  const rows = data.map((x) => x.features.toArray());
  const numBins = Math.max(1, Math.min(p.maxBins, data.length));
  const weights = data.map((x) => x.weight);
  const thresholds = Array.from({ length: d }, (_, f) =>
    continuousSplits(
      rows.map((r) => r[f]!),
      weights,
      numBins - 1,
    ),
  );
  // bin of each value: the first threshold it is <= to (thresholds.length when above all)
  const bins = Array.from({ length: d }, (_, f) => {
    const t = thresholds[f]!;
    return Uint16Array.from(rows, (r) => {
      const v = r[f]!;
      let lo = 0;
      let hi = t.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= t[mid]!) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    });
  });
  const K = statSize(p);
  const grow = (idx: number[], depth: number): TreeNode => {
    const stats = new Float64Array(K);
    for (const i of idx) addStats(p, stats, 0, data[i]!);
    const impurity = impurityOf(p.impurity, stats);
    const node: TreeNode = { stats: Array.from(stats), prediction: predictionOf(p.impurity, stats), impurity };
    if (depth >= p.maxDepth || impurity === 0) return node;
    const best = bestSplit(idx, stats, impurity);
    if (!best || best.gain <= 0) return node;
    const t = thresholds[best.feature]![best.split]!;
    const b = bins[best.feature]!;
    node.split = { featureIndex: best.feature, threshold: t };
    node.gain = best.gain;
    node.left = grow(
      idx.filter((i) => b[i]! <= best.split),
      depth + 1,
    );
    node.right = grow(
      idx.filter((i) => b[i]! > best.split),
      depth + 1,
    );
    // Spark prunes a split whose two children are leaves with the same prediction
    if (!node.left.split && !node.right.split && node.left.prediction === node.right.prediction) {
      delete node.split;
      delete node.gain;
      delete node.left;
      delete node.right;
    }
    return node;
  };
  const bestSplit = (idx: number[], parent: Float64Array, parentImpurity: number) => {
    const total = weightOfStats(p.impurity, parent);
    let best: { feature: number; split: number; gain: number } | undefined;
    const features = p.featureSubset ? p.featureSubset(d) : Array.from({ length: d }, (_, f) => f);
    for (const f of features) {
      const nSplits = thresholds[f]!.length;
      if (nSplits === 0) continue;
      const binStats = new Float64Array((nSplits + 1) * K);
      const binCounts = new Float64Array(nSplits + 1);
      const b = bins[f]!;
      for (const i of idx) {
        addStats(p, binStats, b[i]! * K, data[i]!);
        binCounts[b[i]!]! += 1;
      }
      const left = new Float64Array(K);
      let leftCount = 0;
      for (let s = 0; s < nSplits; s++) {
        for (let k = 0; k < K; k++) left[k]! += binStats[s * K + k]!;
        leftCount += binCounts[s]!;
        const rightCount = idx.length - leftCount;
        if (leftCount < p.minInstancesPerNode || rightCount < p.minInstancesPerNode) continue;
        const right = parent.map((x, k) => x - left[k]!);
        const wl = weightOfStats(p.impurity, left);
        const wr = total - wl;
        const gain =
          parentImpurity - (wl / total) * impurityOf(p.impurity, left) - (wr / total) * impurityOf(p.impurity, right);
        if (gain < p.minInfoGain) continue;
        if (!best || gain > best.gain) best = { feature: f, split: s, gain };
      }
    }
    return best;
  };
  return grow(
    data.map((_, i) => i),
    0,
  );
}

export function leafOf(node: TreeNode, x: { get(i: number): number }): TreeNode {
  let n = node;
  while (n.split) n = x.get(n.split.featureIndex) <= n.split.threshold ? n.left! : n.right!;
  return n;
}

export function depthOf(n: TreeNode): number {
  return n.split ? 1 + Math.max(depthOf(n.left!), depthOf(n.right!)) : 0;
}

export function numNodesOf(n: TreeNode): number {
  return n.split ? 1 + numNodesOf(n.left!) + numNodesOf(n.right!) : 1;
}

/** Spark's toDebugString layout: "If (feature 0 <= 1.5)" / "Else (feature 0 > 1.5)" / "Predict: 1.0" */
export function debugString(n: TreeNode, indent = 1): string {
  const pad = " ".repeat(indent);
  if (!n.split) return `${pad}Predict: ${fmt(n.prediction)}\n`;
  const { featureIndex: f, threshold: t } = n.split;
  return (
    `${pad}If (feature ${f} <= ${fmt(t)})\n${debugString(n.left!, indent + 1)}` +
    `${pad}Else (feature ${f} > ${fmt(t)})\n${debugString(n.right!, indent + 1)}`
  );
}

function fmt(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}
