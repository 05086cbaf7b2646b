import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  HashingTF,
  LabeledPoint,
  LogisticRegression,
  Pipeline,
  type Row,
  Tokenizer,
  StreamingKMeans,
  StreamingLinearRegressionWithSGD,
  StreamingLogisticRegressionWithSGD,
  Vectors,
  XORShiftRandom,
} from "../../src/ml/index.js";
import { runQueue } from "../streaming/helpers.js";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} is not within ${tol} of ${b}`);

const nearest = (p: number[], cs: number[][]) => {
  const d = cs.map((c) => (p[0]! - c[0]!) ** 2 + (p[1]! - c[1]!) ** 2);
  return d[0]! <= d[1]! ? 0 : 1;
};

describe("StreamingKMeans", () => {
  const batches = [
    [
      [0, 1],
      [1, 0],
      [9, 9],
    ],
    [],
    [
      [11, 10],
      [10, 12],
      [0.5, 0.5],
      [2, 2],
    ],
    [[5, 5]],
  ];

  /** the forgetful update written out for two clusters, batch by batch */
  function byHand(decay: (n: number) => number): { centers: number[][]; weights: number[] }[] {
    let centers = [
      [0, 0],
      [10, 10],
    ];
    let weights = [1, 1];
    const out = [];
    for (const b of batches) {
      const d2 = (p: number[], c: number[]) => (p[0]! - c[0]!) ** 2 + (p[1]! - c[1]!) ** 2;
      const groups: number[][][] = [[], []];
      for (const p of b) groups[d2(p, centers[0]!) <= d2(p, centers[1]!) ? 0 : 1]!.push(p);
      weights = weights.map((w) => w * decay(b.length));
      centers = centers.map((c, k) => {
        const g = groups[k]!;
        if (g.length === 0) return c;
        const nw = weights[k]! + g.length;
        const lambda = g.length / nw;
        weights[k] = nw;
        return [0, 1].map((j) => (1 - lambda) * c[j]! + (lambda / g.length) * g.reduce((s, p) => s + p[j]!, 0));
      });
      out.push({ centers: centers.map((c) => [...c]), weights: [...weights] });
    }
    return out;
  }

  it(
    "trainOn applies the forgetful update per batch (decayFactor, batches)" + "; predictOn uses the same batch's model",
    async () => {
      const km = new StreamingKMeans()
        .setK(2)
        .setDecayFactor(0.5)
        .setInitialCenters([Vectors.dense(0, 0), Vectors.dense(10, 10)], [1, 1]);
      const models: { centers: number[][]; weights: number[] }[] = [];
      const preds = await runQueue(batches, (s) => {
        km.trainOn(s);
        s.foreachRDD(() => {
          const m = km.latestModel();
          models.push({ centers: m.clusterCenters.map((c) => Array.from(c.values)), weights: [...m.clusterWeights] });
        });
        return km.predictOn(s);
      });
      const expected = byHand(() => 0.5);
      assert.ok(models.length >= batches.length);
      for (let i = 0; i < batches.length; i++) {
        for (let k = 0; k < 2; k++) {
          close(models[i]!.weights[k]!, expected[i]!.weights[k]!);
          for (let j = 0; j < 2; j++) close(models[i]!.centers[k]![j]!, expected[i]!.centers[k]![j]!);
        }
      }
      // the empty batch still discounts the weights
      close(models[1]!.weights[0]!, models[0]!.weights[0]! * 0.5);
      assert.deepEqual(preds, [[0, 0, 1], [], [1, 1, 0, 0], [nearest([5, 5], expected[3]!.centers)]]);
    },
  );

  it("halfLife in points discounts by decay^(points in the batch)", async () => {
    const km = new StreamingKMeans().setHalfLife(2, "points").setInitialCenters(
      [
        [0, 0],
        [10, 10],
      ],
      [1, 1],
    );
    close(km.getDecayFactor(), Math.SQRT1_2);
    await runQueue(batches, (s) => {
      km.trainOn(s);
      return s;
    });
    const last = byHand((n) => Math.SQRT1_2 ** n).at(-1)!;
    const m = km.latestModel();
    for (let k = 0; k < 2; k++) {
      close(m.clusterWeights[k]!, last.weights[k]!);
      for (let j = 0; j < 2; j++) close(m.clusterCenters[k]!.values[j]!, last.centers[k]![j]!);
    }
  });

  it("a dying cluster is split off the largest one", () => {
    const km = new StreamingKMeans().setInitialCenters(
      [
        [0, 0],
        [100, 100],
      ],
      [1, 1e-9],
    );
    const m = km.latestModel().update([[1, 1]], 1, "batches");
    // weights 2 and 1e-9 < 1e-8 * 2: both get (2 + 1e-9) / 2, centers around cluster 0's (0.5, 0.5)
    close(m.clusterWeights[0]!, (2 + 1e-9) / 2);
    close(m.clusterWeights[1]!, (2 + 1e-9) / 2);
    assert.equal(m.clusterCenters[0]!.values[0], 0.5 + 1e-14);
    assert.equal(m.clusterCenters[1]!.values[0], 0.5 - 1e-14);
  });

  it("setRandomCenters draws Gaussians from XORShiftRandom(seed), reproducibly", () => {
    const a = new StreamingKMeans().setK(3).setRandomCenters(4, 0.5, 42).latestModel();
    const b = new StreamingKMeans().setK(3).setRandomCenters(4, 0.5, 42).latestModel();
    const r = new XORShiftRandom(42);
    assert.deepEqual(
      Array.from(a.clusterCenters[0]!.values),
      [0, 1, 2, 3].map(() => r.nextGaussian()),
    );
    assert.deepEqual(a.toState(), b.toState());
    assert.deepEqual(a.clusterWeights, [0.5, 0.5, 0.5]);
    assert.throws(() => new StreamingKMeans().latestModel(), /initial centers/);
  });
});

describe("streaming SGD learners", () => {
  /** MLlib's GradientDescent by hand: full batch, step 0.1/sqrt(i), 50 iterations, convergence tol 0.001 */
  function sgd(points: [number, number[]][], w0: number[], grad: (m: number, y: number) => number): number[] {
    let w = [...w0];
    let prev: number[] | undefined;
    for (let i = 1; i <= 50; i++) {
      const g = w.map(() => 0);
      for (const [y, x] of points) {
        const m = x.reduce((s, v, j) => s + v * w[j]!, 0);
        x.forEach((v, j) => {
          g[j]! += grad(m, y) * v;
        });
      }
      const next = w.map((v, j) => v - (0.1 / Math.sqrt(i)) * (g[j]! / points.length));
      prev = w;
      w = next;
      const diff = Math.hypot(...prev.map((v, j) => v - w[j]!));
      if (i > 1 && diff < 0.001 * Math.max(Math.hypot(...w), 1)) break;
    }
    return w;
  }

  const batches: [number, number[]][][] = [
    [
      [3, [1, 1]],
      [5, [2, 1]],
      [1, [0, 1]],
    ],
    [],
    [
      [7, [3, 1]],
      [4, [1.5, 1]],
    ],
    [
      [2, [0.5, 1]],
      [6, [2.5, 1]],
      [8, [3.5, 1]],
    ],
  ];

  it("StreamingLinearRegressionWithSGD: weights after each batch equal GradientDescent by hand", async () => {
    const lr = new StreamingLinearRegressionWithSGD().setInitialWeights([0, 0]);
    const seen: number[][] = [];
    const input = batches.map((b) => b.map(([y, x]) => new LabeledPoint(y, Vectors.dense(x))));
    const preds = await runQueue(input, (s) => {
      lr.trainOn(s);
      s.foreachRDD(() => void seen.push(Array.from(lr.latestModel().weights.values)));
      return lr.predictOnValues(s.map((p) => [p.label, p.features] as [number, unknown]));
    });
    let w = [0, 0];
    for (let i = 0; i < batches.length; i++) {
      if (batches[i]!.length > 0) w = sgd(batches[i]!, w, (m, y) => m - y);
      assert.deepEqual(seen[i]!.length, 2);
      for (let j = 0; j < 2; j++) close(seen[i]![j]!, w[j]!);
    }
    assert.equal(seen[1]![0], seen[0]![0], "an empty batch leaves the model as it was");
    // predictions of the last batch use the weights after training on it
    const lastX = batches[3]![2]![1];
    close(preds[3]![2]![1], w[0]! * lastX[0]! + w[1]! * lastX[1]!);
    assert.equal(preds[3]![2]![0], 8);
  });

  it("StreamingLogisticRegressionWithSGD: logistic gradient, 0/1 predictions, label validation", async () => {
    const data: [number, number[]][][] = [
      [
        [1, [2, 1]],
        [0, [-1, 1]],
        [1, [1.5, 1]],
      ],
      [
        [0, [-2, 1]],
        [1, [0.5, 1]],
      ],
    ];
    const lg = new StreamingLogisticRegressionWithSGD().setInitialWeights(Vectors.dense(0, 0));
    const preds = await runQueue(
      data.map((b) => b.map(([label, features]) => ({ label, features }))),
      (s) => {
        lg.trainOn(s);
        return lg.predictOn(s.map((p) => p.features));
      },
    );
    let w = [0, 0];
    for (const b of data) w = sgd(b, w, (m, y) => 1 / (1 + Math.exp(-m)) - y);
    const got = lg.latestModel().weights.values;
    close(got[0]!, w[0]!);
    close(got[1]!, w[1]!);
    assert.deepEqual(preds[1], [0, 1]);
    assert.throws(() => new StreamingLogisticRegressionWithSGD().trainOn(undefined as never), /initialized/);
  });
});

describe("feature pipelines inside DStream operations", () => {
  it("a fitted PipelineModel scores a stream row by row (map) and by partition (mapPartitions)", async () => {
    const train: Row[] = [
      { text: "good great fun", label: 1 },
      { text: "bad awful", label: 0 },
      { text: "great day", label: 1 },
      { text: "awful rain bad", label: 0 },
    ];
    const model = new Pipeline()
      .setStages([
        new Tokenizer().setInputCol("text").setOutputCol("words"),
        new HashingTF().setInputCol("words").setOutputCol("features").setNumFeatures(32),
        new LogisticRegression().setRegParam(0.01),
      ])
      .fit(train);
    const batches: Row[][] = [[{ text: "great fun" }, { text: "bad rain" }], [], [{ text: "awful" }]];
    const expected = batches.map((b) => model.transform(b).map((r) => r.prediction));
    const score = model.rowFunction();
    const byRow = await runQueue(batches, (s) => s.map(score).map((r) => r.prediction));
    const byPartition = await runQueue(batches, (s) =>
      s.mapPartitions((rows) => model.transform(rows)).map((r) => r.prediction),
    );
    assert.deepEqual(byRow, expected);
    assert.deepEqual(
      byPartition.map((b) => [...b].sort()),
      expected.map((b) => [...b].sort()),
    );
    assert.deepEqual(expected, [[1, 0], [], [0]]);
  });
});
