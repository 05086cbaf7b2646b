import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  BinaryClassificationEvaluator,
  ClusteringEvaluator,
  CountVectorizer,
  HashingTF,
  IDF,
  LinearRegression,
  LogisticRegression,
  MulticlassClassificationEvaluator,
  NaiveBayes,
  Pipeline,
  PipelineModel,
  RegressionEvaluator,
  StandardScaler,
  StopWordsRemover,
  Tokenizer,
  VectorAssembler,
  Vectors,
  loadStage,
  randomSplit,
  type MLError,
  type Row,
} from "../../src/ml/index.js";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} is not within ${tol} of ${b}`);

const texts: Row[] = [
  { text: "I love this movie, great fun", label: 1 },
  { text: "what a great day", label: 1 },
  { text: "I hate rain and cold", label: 0 },
  { text: "terrible awful service", label: 0 },
  { text: "love the great food", label: 1 },
  { text: "awful and boring", label: 0 },
];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "millrace-ml-"));
}

describe("Pipeline", () => {
  it("fits estimators on the output of the stages before them, like Spark", () => {
    const tok = new Tokenizer().setInputCol("text").setOutputCol("words");
    const sw = new StopWordsRemover().setInputCol("words").setOutputCol("filtered");
    const tf = new HashingTF().setInputCol("filtered").setOutputCol("tf").setNumFeatures(64);
    const idf = new IDF().setInputCol("tf").setOutputCol("features");
    const lr = new LogisticRegression().setRegParam(0.01);
    const model = new Pipeline().setStages([tok, sw, tf, idf, lr]).fit(texts);
    assert.equal(model.stages.length, 5);
    // by hand: the same stages one after the other
    const rows = tf.transform(sw.transform(tok.transform(texts)));
    const idfModel = idf.fit(rows);
    const lrModel = lr.fit(idfModel.transform(rows));
    const a = model.transform(texts);
    const b = lrModel.transform(idfModel.transform(rows));
    assert.deepEqual(
      a.map((r) => r.prediction),
      b.map((r) => r.prediction),
    );
    assert.deepEqual(
      a.map((r) => r.prediction),
      texts.map((r) => r.label),
    );
    // one row at a time, as inside a DStream's map
    const f = model.rowFunction();
    assert.deepEqual(
      texts.map((r) => f(r).probability),
      a.map((r) => r.probability),
    );
  });

  it("save/load round trip: the same class, uid, params and identical predictions", () => {
    const dir = tempDir();
    try {
      const pipeline = new Pipeline().setStages([
        new Tokenizer().setInputCol("text").setOutputCol("words"),
        new CountVectorizer().setInputCol("words").setOutputCol("counts").setMinDF(1),
        new IDF().setInputCol("counts").setOutputCol("features"),
        new NaiveBayes(),
      ]);
      const model = pipeline.fit(texts);
      model.save(join(dir, "model"));
      const meta = JSON.parse(readFileSync(join(dir, "model", "metadata.json"), "utf8"));
      assert.equal(meta.class, "PipelineModel");
      assert.equal(meta.sparkClass, "org.apache.spark.ml.PipelineModel");
      assert.equal(meta.formatVersion, 1);
      assert.equal(readdirSync(join(dir, "model", "stages")).length, 4);
      const loaded = PipelineModel.load(join(dir, "model"));
      assert.equal(loaded.uid, model.uid);
      assert.deepEqual(
        loaded.stages.map((s) => s.uid),
        model.stages.map((s) => s.uid),
      );
      const probe = [...texts, { text: "great awful fun" }, { text: "unknown words only" }];
      assert.deepEqual(loaded.transform(probe), model.transform(probe));
      assert.throws(
        () => model.save(join(dir, "model")),
        (e: MLError) => e.code === "MR_ML_PERSIST",
      );
      model.save(join(dir, "model"), { overwrite: true });
      // the unfitted pipeline too
      pipeline.save(join(dir, "pipeline"));
      const p2 = loadStage<Pipeline>(join(dir, "pipeline"));
      assert.deepEqual(
        p2.getStages().map((s) => s.constructor.name),
        ["Tokenizer", "CountVectorizer", "IDF", "NaiveBayes"],
      );
      assert.deepEqual(p2.fit(texts).transform(probe), pipeline.fit(texts).transform(probe));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("round-trips every model kind exactly, non-finite numbers included", () => {
    const dir = tempDir();
    try {
      const rows = [
        { a: 1, b: 2, label: 1 },
        { a: 2, b: 0, label: 0 },
        { a: 3, b: 5, label: 1 },
        { a: 0.5, b: 1, label: 0 },
      ];
      const va = new VectorAssembler().setInputCols(["a", "b"]).setOutputCol("raw");
      const scaled = new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true);
      const data = va.transform(rows);
      const models = [
        scaled.fit(data),
        new LinearRegression().setFeaturesCol("raw").fit(data),
        new LogisticRegression().setFeaturesCol("raw").fit(data.map((r) => ({ ...r, label: 1 }))),
        new LogisticRegression().setFeaturesCol("raw").setFamily("multinomial").setRegParam(0.1).fit(data),
      ];
      models.forEach((m, i) => {
        m.save(join(dir, String(i)));
        const back = loadStage(join(dir, String(i)));
        assert.equal(back.constructor, m.constructor);
        assert.deepEqual((back as typeof m).transform(data), m.transform(data));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("evaluators", () => {
  const scored = [
    [0.9, 1],
    [0.8, 0],
    [0.7, 1],
    [0.6, 1],
    [0.2, 0],
  ].map(([s, label]) => ({ rawPrediction: Vectors.dense(-s!, s!), label }));

  it("areaUnderROC and areaUnderPR by the trapezoid rule", () => {
    const e = new BinaryClassificationEvaluator();
    close(e.evaluate(scored), 2 / 3);
    // PR points (0,1) (1/3,1) (1/3,1/2) (2/3,2/3) (1,3/4) (1,3/5)
    close(e.setMetricName("areaUnderPR").evaluate(scored), 55 / 72);
    assert.deepEqual(e.roc(scored).at(-1), [1, 1]);
  });

  it("multiclass metrics and the confusion matrix", () => {
    const rows = [
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 1],
      [2, 0],
      [2, 2],
    ].map(([label, prediction]) => ({ label, prediction }));
    const e = new MulticlassClassificationEvaluator();
    close(e.evaluate(rows), 59 / 90);
    close(e.setMetricName("accuracy").evaluate(rows), 4 / 6);
    close(e.setMetricName("weightedPrecision").evaluate(rows), 13 / 18);
    close(e.setMetricName("weightedRecall").evaluate(rows), 2 / 3);
    assert.deepEqual(e.confusionMatrix(rows), {
      labels: [0, 1, 2],
      matrix: [
        [1, 1, 0],
        [0, 2, 0],
        [1, 0, 1],
      ],
    });
  });

  it("regression metrics", () => {
    const rows = [
      [1, 1.5],
      [2, 2],
      [3, 2],
    ].map(([label, prediction]) => ({ label, prediction }));
    const e = new RegressionEvaluator();
    close(e.evaluate(rows), Math.sqrt(1.25 / 3));
    close(e.setMetricName("mse").evaluate(rows), 1.25 / 3);
    close(e.setMetricName("mae").evaluate(rows), 0.5);
    close(e.setMetricName("r2").evaluate(rows), 0.375);
    assert.equal(e.isLargerBetter(), true);
  });

  it("silhouette with squared Euclidean distance", () => {
    const rows = [
      [0, 0],
      [1, 0],
      [4, 1],
    ].map(([x, prediction]) => ({ features: Vectors.dense(x!), prediction }));
    close(new ClusteringEvaluator().evaluate(rows), (15 / 16 + 8 / 9 + 0) / 3);
  });

  it("randomSplit: the same seed gives the same split, every row lands once", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const [a, b] = randomSplit(rows, [0.8, 0.2], 42);
    assert.deepEqual(randomSplit(rows, [0.8, 0.2], 42), [a, b]);
    assert.equal(a!.length + b!.length, 1000);
    assert.deepEqual(
      [...a!, ...b!].sort((x, y) => x - y),
      rows,
    );
    assert.ok(a!.length > 700 && a!.length < 900, String(a!.length));
    assert.notDeepEqual(randomSplit(rows, [0.8, 0.2], 43)[1], b);
  });
});
