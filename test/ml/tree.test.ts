import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type DecisionTreeClassificationModel,
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  type DenseVector,
  RandomForestClassifier,
  Vectors,
  continuousSplits,
  loadStage,
} from "../../src/ml/index.js";

const rows = [1, 2, 3, 4, 5, 6].map((x, i) => ({ features: Vectors.dense(x), label: [0, 0, 0, 1, 1, 0][i]! }));

describe("decision trees", () => {
  it("candidate thresholds: all midpoints, or Spark's equal-count stride", () => {
    assert.deepEqual(continuousSplits([4, 1, 3, 2, 2], [1, 1, 1, 1, 1], 31), [1.5, 2.5, 3.5]);
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.deepEqual(continuousSplits(ten, Array(10).fill(1), 2), [3.5, 7.5]);
    assert.deepEqual(continuousSplits([2, 2], [1, 1], 5), []);
  });

  it("classifier: gini gains pick x <= 3.5 then x <= 5.5", () => {
    const m = new DecisionTreeClassifier().fit(rows);
    const root = m.rootNode;
    assert.deepEqual(root.split, { featureIndex: 0, threshold: 3.5 });
    assert.ok(Math.abs(root.gain! - 2 / 9) < 1e-15);
    assert.deepEqual(root.right!.split, { featureIndex: 0, threshold: 5.5 });
    assert.equal(m.depth, 2);
    assert.equal(m.numNodes, 5);
    assert.deepEqual(
      [1, 4, 5, 6].map((x) => m.predict(Vectors.dense(x))),
      [0, 1, 1, 0],
    );
    assert.match(m.toDebugString(), /If \(feature 0 <= 3\.5\)/);
  });

  it("maxDepth and minInstancesPerNode stop the growth; leaves give class frequencies", () => {
    const shallow = new DecisionTreeClassifier().setMaxDepth(1).fit(rows);
    const [r] = shallow.transform([{ features: Vectors.dense(6) }]);
    assert.deepEqual(Array.from((r!.rawPrediction as DenseVector).values), [1, 2]);
    assert.deepEqual(Array.from((r!.probability as DenseVector).values), [1 / 3, 2 / 3]);
    assert.equal(r!.prediction, 1);
    const min2 = new DecisionTreeClassifier().setMinInstancesPerNode(2).fit(rows);
    assert.equal(min2.rootNode.right!.split, undefined);
    const entropy = new DecisionTreeClassifier().setImpurity("entropy").fit(rows);
    // entropy of (4, 2): -(2/3)log2(2/3) - (1/3)log2(1/3)
    assert.ok(Math.abs(entropy.rootNode.impurity - (-(2 / 3) * Math.log2(2 / 3) - (1 / 3) * Math.log2(1 / 3))) < 1e-15);
  });

  it("regressor: variance reduction", () => {
    const data = [1, 2, 3, 4].map((x, i) => ({ features: Vectors.dense(x), label: [1, 1, 5, 7][i]! }));
    const m = new DecisionTreeRegressor().fit(data);
    assert.deepEqual(m.rootNode.split, { featureIndex: 0, threshold: 2.5 });
    assert.ok(Math.abs(m.rootNode.gain! - (m.rootNode.impurity - 0.5)) < 1e-12);
    assert.deepEqual(
      [1, 3, 4].map((x) => m.predict(Vectors.dense(x))),
      [1, 5, 7],
    );
  });

  it("random forest: seeded, accurate on separable data, round-trips through save/load", () => {
    const data = Array.from({ length: 60 }, (_, i) => {
      const a = (i * 7) % 11;
      const b = (i * 3) % 5;
      return { features: Vectors.dense(a, b, i % 2), label: a > 5 ? 1 : 0 };
    });
    const rf = new RandomForestClassifier().setNumTrees(10).setSeed(3).setFeatureSubsetStrategy("all");
    const m = rf.fit(data);
    assert.equal(m.getNumTrees(), 10);
    const acc = data.filter((r) => m.predict(r.features) === r.label).length / data.length;
    assert.ok(acc >= 0.95, String(acc));
    assert.deepEqual(rf.fit(data).trees, m.trees);
    const dir = mkdtempSync(join(tmpdir(), "millrace-ml-"));
    try {
      m.save(join(dir, "rf"));
      const back = loadStage<typeof m>(join(dir, "rf"));
      assert.deepEqual(back.transform(data), m.transform(data));
      const dt = new DecisionTreeClassifier().fit(rows);
      dt.save(join(dir, "dt"));
      const dtBack = loadStage<DecisionTreeClassificationModel>(join(dir, "dt"));
      assert.deepEqual(dtBack.transform(rows), dt.transform(rows));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
