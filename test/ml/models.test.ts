import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DenseVector,
  LinearRegression,
  LogisticRegression,
  NaiveBayes,
  Vectors,
  minimize,
} from "../../src/ml/index.js";

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} is not within ${tol} of ${b}`);

/** rows with one 0/1 feature: x=0 has 1 positive of 4, x=1 has 3 positives of 4 */
const cells = [0, 0, 0, 0, 1, 1, 1, 1].map((x, i) => ({
  features: Vectors.dense(x),
  label: [1, 0, 0, 0, 1, 1, 1, 0][i]!,
}));

describe("L-BFGS / OWL-QN", () => {
  it("minimizes a quadratic, and the L1 version soft-thresholds", () => {
    // f = (x0 - 3)^2 + 2 (x1 + 1)^2; with 2·|x|: x0 = 3 - 1 = 2, x1 = -1 + 0.5 = -0.5
    const f = (x: Float64Array, g: Float64Array) => {
      g[0] = 2 * (x[0]! - 3);
      g[1] = 4 * (x[1]! + 1);
      return (x[0]! - 3) ** 2 + 2 * (x[1]! + 1) ** 2;
    };
    const r = minimize(f, new Float64Array(2));
    close(r.x[0]!, 3, 1e-8);
    close(r.x[1]!, -1, 1e-8);
    const l = minimize(f, new Float64Array(2), { l1: Float64Array.of(2, 2) });
    close(l.x[0]!, 2, 1e-8);
    close(l.x[1]!, -0.5, 1e-8);
    const zero = minimize(f, new Float64Array(2), { l1: Float64Array.of(10, 0) });
    assert.equal(zero.x[0], 0);
  });
});

describe("LogisticRegression", () => {
  it("binomial without regularization is the cell log-odds", () => {
    const m = new LogisticRegression().fit(cells);
    close(m.intercept, Math.log(1 / 3));
    close(m.coefficients.values[0]!, 2 * Math.log(3));
    const [r] = m.transform([{ features: Vectors.dense(1) }]);
    close((r!.probability as DenseVector).values[1]!, 0.75);
    assert.equal(r!.prediction, 1);
    close((r!.rawPrediction as DenseVector).values[1]!, Math.log(3));
    assert.equal(m.setThreshold(0.8).predict(Vectors.dense(1)), 0);
  });

  const data = [
    [1.0, 0.5, 1],
    [2.0, -1.0, 0],
    [0.5, 2.0, 1],
    [-1.0, 0.3, 0],
    [1.5, 1.5, 1],
    [-0.5, -2.0, 0],
    [0.2, -0.1, 1],
    [3.0, 0.0, 0],
  ].map(([a, b, y]) => ({ features: Vectors.dense(a!, b!), label: y! }));

  /** gradient of (1/n)Σ logloss at (w, b), in the original coordinates */
  function lossGrad(w: number[], b: number): { g: number[]; gb: number } {
    const g = [0, 0];
    let gb = 0;
    for (const { features, label } of data) {
      const x = features.values;
      const p = 1 / (1 + Math.exp(-(w[0]! * x[0]! + w[1]! * x[1]! + b)));
      g[0]! += (p - label) * x[0]!;
      g[1]! += (p - label) * x[1]!;
      gb += p - label;
    }
    return { g: g.map((v) => v / data.length), gb: gb / data.length };
  }
  const std = (j: number) => {
    const xs = data.map((r) => r.features.values[j]!);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  };

  it("L2 with standardization: the gradient of Spark's objective vanishes", () => {
    const lambda = 0.1;
    const m = new LogisticRegression().setRegParam(lambda).fit(data);
    const w = Array.from(m.coefficients.values);
    const { g, gb } = lossGrad(w, m.intercept);
    // penalty (λ/2) Σ (w_j σ_j)^2 on the standardized coefficients
    for (const j of [0, 1]) close(g[j]! + lambda * w[j]! * std(j) ** 2, 0, 1e-7);
    close(gb, 0, 1e-7);
  });

  it("L2 without standardization penalizes the original coefficients", () => {
    const m = new LogisticRegression().setRegParam(0.2).setStandardization(false).fit(data);
    const w = Array.from(m.coefficients.values);
    const { g } = lossGrad(w, m.intercept);
    for (const j of [0, 1]) close(g[j]! + 0.2 * w[j]!, 0, 1e-7);
  });

  it("elastic net (OWL-QN) meets the subgradient conditions and zeroes a coefficient", () => {
    const lambda = 0.15;
    const m = new LogisticRegression().setRegParam(lambda).setElasticNetParam(1).fit(data);
    const w = Array.from(m.coefficients.values);
    const { g, gb } = lossGrad(w, m.intercept);
    close(gb, 0, 1e-7);
    let zeros = 0;
    for (const j of [0, 1]) {
      const c = lambda * std(j); // L1 on standardized coefficients: λ σ_j |w_j|
      if (w[j] === 0) {
        zeros++;
        assert.ok(Math.abs(g[j]!) <= c + 1e-9);
      } else close(g[j]! + c * Math.sign(w[j]!), 0, 1e-7);
    }
    assert.ok(zeros >= 1, "λ = 0.15 drives at least one coefficient to 0 on this data");
  });

  it("multinomial without regularization: centered log-probabilities of each cell", () => {
    // x=0: classes (2,1,1); x=1: classes (1,1,2)
    const labels0 = [0, 0, 1, 2];
    const labels1 = [0, 1, 2, 2];
    const rows = [
      ...labels0.map((y) => ({ features: Vectors.dense(0), label: y })),
      ...labels1.map((y) => ({ features: Vectors.dense(1), label: y })),
    ];
    const m = new LogisticRegression().setTol(1e-10).fit(rows);
    assert.equal(m.isMultinomial, true);
    const lp0 = [2, 1, 1].map((c) => Math.log(c / 4));
    const lp1 = [1, 1, 2].map((c) => Math.log(c / 4));
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    for (let k = 0; k < 3; k++) {
      close(m.interceptVector[k]!, lp0[k]! - mean(lp0), 1e-5);
      close(m.coefficientMatrix[k]![0]!, lp1[k]! - mean(lp1) - (lp0[k]! - mean(lp0)), 1e-5);
    }
    const p = m.predictProbability(Vectors.dense(1));
    close(p.values[2]!, 0.5, 1e-5);
    assert.equal(m.predict(Vectors.dense(0)), 0);
    assert.throws(() => m.coefficients, /multinomial/);
  });

  it("one class only: zero coefficients and an infinite intercept", () => {
    const m = new LogisticRegression().fit(cells.map((r) => ({ ...r, label: 1 })));
    assert.equal(m.intercept, Number.POSITIVE_INFINITY);
    assert.deepEqual(Array.from(m.coefficients.values), [0]);
  });
});

describe("NaiveBayes", () => {
  const rows = [
    { label: 0, features: Vectors.dense(1, 0, 2) },
    { label: 0, features: Vectors.dense(0, 1, 1) },
    { label: 1, features: Vectors.dense(3, 0, 0) },
  ];
  it("multinomial: Spark's smoothed log-probabilities", () => {
    const m = new NaiveBayes().fit(rows);
    // N = 3, K = 2, λ = 1: pi = log(3/5), log(2/5)
    assert.deepEqual(Array.from(m.pi), [Math.log(3) - Math.log(5), Math.log(2) - Math.log(5)]);
    // class 0 sums (1,1,3), total 5 + 3; class 1 sums (3,0,0), total 3 + 3
    assert.deepEqual(
      Array.from(m.theta[0]!),
      [2, 2, 4].map((x) => Math.log(x) - Math.log(8)),
    );
    assert.deepEqual(
      Array.from(m.theta[1]!),
      [4, 1, 1].map((x) => Math.log(x) - Math.log(6)),
    );
    const x = Vectors.dense(2, 0, 1);
    const raw = m.predictRaw(x).values;
    close(raw[0]!, m.pi[0]! + 2 * m.theta[0]![0]! + m.theta[0]![2]!, 1e-15);
    const e0 = Math.exp(raw[0]!);
    const e1 = Math.exp(raw[1]!);
    close(m.predictProbability(x).values[1]!, e1 / (e0 + e1), 1e-12);
    assert.equal(m.predict(x), raw[1]! > raw[0]! ? 1 : 0);
  });
  it("bernoulli: presence probabilities and the absent-feature terms", () => {
    const b = rows.map((r) => ({
      ...r,
      features: Vectors.dense(Array.from(r.features.values, (v) => (v > 0 ? 1 : 0))),
    }));
    const m = new NaiveBayes().setModelType("bernoulli").fit(b);
    // class 0 (n=2): presence (1,1,2) -> log((s+1)/(2+2)); class 1 (n=1): (1,0,0) -> log((s+1)/3)
    assert.deepEqual(
      Array.from(m.theta[0]!),
      [2, 2, 3].map((s) => Math.log(s) - Math.log(4)),
    );
    assert.deepEqual(
      Array.from(m.theta[1]!),
      [2, 1, 1].map((s) => Math.log(s) - Math.log(3)),
    );
    const raw = m.predictRaw(Vectors.dense(1, 0, 0)).values;
    const t = m.theta[1]!;
    close(raw[1]!, m.pi[1]! + t[0]! + Math.log(1 - Math.exp(t[1]!)) + Math.log(1 - Math.exp(t[2]!)), 1e-12);
    assert.throws(
      () => m.predict(Vectors.dense(2, 0, 0)),
      (e: Error & { code?: string }) => e.code === "MR_ML_INPUT",
    );
  });
});

describe("LinearRegression", () => {
  it("ordinary least squares on an exact line", () => {
    const rows = [0, 1, 2, 3, 4].map((x) => ({ features: Vectors.dense(x, x * x), label: 1 + 2 * x - 0.5 * x * x }));
    const m = new LinearRegression().fit(rows);
    close(m.intercept, 1, 1e-8);
    close(m.coefficients.values[0]!, 2, 1e-8);
    close(m.coefficients.values[1]!, -0.5, 1e-8);
    close(m.predict(Vectors.dense(10, 100)), 1 + 20 - 50, 1e-6);
  });
  it("ridge: the normal equations of Spark's scaled objective hold", () => {
    const xs = [1, 2, 3, 4, 6];
    const ys = [2, 2.5, 4.5, 4, 7];
    const rows = xs.map((x, i) => ({ features: Vectors.dense(x), label: ys[i]! }));
    const lambda = 0.3;
    const m = new LinearRegression().setRegParam(lambda).fit(rows);
    const n = xs.length;
    const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
    const sd = (a: number[]) => Math.sqrt(a.reduce((p, q) => p + (q - mean(a)) ** 2, 0) / (a.length - 1));
    // in original units: (1/n) Σ (w x + b - y) x + λ σ_x² w / σ_y = 0 and Σ (w x + b - y) = 0
    const w = m.coefficients.values[0]!;
    const b = m.intercept;
    const r = xs.map((x, i) => w * x + b - ys[i]!);
    close(
      r.reduce((p, q) => p + q, 0),
      0,
      1e-8,
    );
    close(r.reduce((p, q, i) => p + q * xs[i]!, 0) / n + (lambda * sd(xs) ** 2 * w) / sd(ys), 0, 1e-8);
  });
  it("a constant label gives intercept = the label", () => {
    const m = new LinearRegression().fit([1, 2, 3].map((x) => ({ features: Vectors.dense(x), label: 4 })));
    assert.equal(m.intercept, 4);
    assert.deepEqual(Array.from(m.coefficients.values), [0]);
  });
});
