import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ClusteringEvaluator, KMeans, type KMeansModel, Vectors, loadStage } from "../../src/ml/index.js";

const blobs = [
  [0, 0],
  [10, 0],
  [0, 10],
];
const rows = blobs.flatMap(([cx, cy], b) =>
  [
    [0.5, 0.1],
    [-0.3, 0.4],
    [0.1, -0.6],
    [-0.2, 0.2],
  ].map(([dx, dy]) => ({ features: Vectors.dense(cx! + dx!, cy! + dy!), blob: b })),
);

describe("KMeans", () => {
  for (const mode of ["k-means||", "random"] as const) {
    it(`${mode}: converges to the blob means; the same seed gives the same model`, () => {
      const km = new KMeans().setK(3).setSeed(1).setInitMode(mode);
      const m = km.fit(rows);
      const byCluster = new Map<number, Set<number>>();
      for (const r of m.transform(rows)) {
        const s = byCluster.get(r.prediction as number) ?? new Set();
        s.add(r.blob as number);
        byCluster.set(r.prediction as number, s);
      }
      assert.equal(byCluster.size, 3);
      for (const s of byCluster.values()) assert.equal(s.size, 1, "each cluster is one blob");
      // every center is exactly its blob's mean
      for (const c of m.clusterCenters) {
        const b = rows.find((r) => m.predict(r.features) === m.predict(c))!.blob as number;
        const pts = rows.filter((r) => r.blob === b);
        for (const j of [0, 1]) {
          const mean = pts.reduce((s, r) => s + r.features.values[j]!, 0) / pts.length;
          assert.ok(Math.abs(c.values[j]! - mean) < 1e-12);
        }
      }
      assert.deepEqual(km.fit(rows).clusterCenters, m.clusterCenters);
      assert.ok(new ClusteringEvaluator().evaluate(m.transform(rows)) > 0.9);
    });
  }
  it("save/load keeps the centers", () => {
    const dir = mkdtempSync(join(tmpdir(), "millrace-ml-"));
    try {
      const m = new KMeans().setK(3).setSeed(5).fit(rows);
      m.save(join(dir, "km"));
      const back = loadStage<KMeansModel>(join(dir, "km"));
      assert.deepEqual(back.transform(rows), m.transform(rows));
      assert.equal(back.computeCost(rows), m.computeCost(rows));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
