import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CountVectorizer,
  HashingTF,
  IDF,
  type MLError,
  NGram,
  RegexTokenizer,
  type SparseVector,
  StandardScaler,
  Stemmer,
  StopWordsRemover,
  Tokenizer,
  VectorAssembler,
  Vectors,
  murmur3x86_32,
} from "../../src/ml/index.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const u32 = (x: number) => x >>> 0;

describe("vectors", () => {
  it("dense and sparse forms, dot, compressed, JSON", () => {
    const d = Vectors.dense(1, 0, 0, 2);
    const s2 = Vectors.sparse(4, [
      [3, 2],
      [0, 1],
    ]);
    assert.deepEqual(Array.from(s2.indices), [0, 3]);
    assert.ok(d.equals(s2));
    assert.equal(d.dot(s2), 5);
    assert.equal(Vectors.sqdist(d, Vectors.zeros(4)), 5);
    assert.equal(Vectors.norm(d, 1), 3);
    // 1.5 * (2 + 1) = 4.5 > 4: dense; a 10-wide vector with 2 nonzeros goes sparse
    assert.equal(d.compressed().type, "dense");
    assert.equal(Vectors.sparse(10, [1], [1]).toDense().compressed().type, "sparse");
    assert.ok(Vectors.fromJSON(JSON.parse(JSON.stringify(s2))).equals(s2));
    assert.throws(
      () => Vectors.sparse(3, [2, 1], [1, 1]),
      (e: MLError) => e.code === "MR_ML_DIMENSION",
    );
  });
});

describe("MurmurHash3 x86_32", () => {
  it("matches the reference test vectors (every tail length)", () => {
    assert.equal(u32(murmur3x86_32(utf8(""), 0)), 0);
    assert.equal(u32(murmur3x86_32(utf8(""), 1)), 0x514e28b7);
    assert.equal(u32(murmur3x86_32(utf8(""), 0xffffffff)), 0x81f16f39);
    assert.equal(u32(murmur3x86_32(new Uint8Array(4), 0)), 0x2362f9de);
    const seed = 0x9747b28c;
    assert.equal(u32(murmur3x86_32(utf8("a"), seed)), 0x7fa09ea6);
    assert.equal(u32(murmur3x86_32(utf8("ab"), seed)), 0x74875592);
    assert.equal(u32(murmur3x86_32(utf8("abc"), seed)), 0xc84a62dd);
    assert.equal(u32(murmur3x86_32(utf8("abcd"), seed)), 0xf0478627);
    assert.equal(u32(murmur3x86_32(utf8("aaaa"), seed)), 0x5a97808a);
    assert.equal(u32(murmur3x86_32(utf8("Hello, world!"), seed)), 0x24884cba);
    assert.equal(u32(murmur3x86_32(utf8("The quick brown fox jumps over the lazy dog"), 0)), 0x2e4ff723);
  });
});

describe("HashingTF", () => {
  it("gives Spark's indices (pyspark's documented example) and counts", () => {
    const tf = new HashingTF().setInputCol("words").setOutputCol("features").setNumFeatures(10);
    const [row] = tf.transform([{ words: ["a", "b", "c"] }]);
    const v = row!.features as SparseVector;
    assert.deepEqual(Array.from(v.indices), [5, 7, 8]);
    assert.deepEqual(Array.from(v.values), [1, 1, 1]);
    const f = tf.createTransformFunc();
    const counted = f(["a", "a", "b"]);
    assert.equal(counted.get(tf.indexOf("a")), 2);
    assert.equal(counted.get(tf.indexOf("b")), 1);
    assert.deepEqual(Array.from(tf.setBinary(true).createTransformFunc()(["a", "a", "b"]).values), [1, 1]);
    assert.equal(new HashingTF().getNumFeatures(), 262144);
  });
  it("index is the non-negative remainder of the signed hash", () => {
    const tf = new HashingTF().setNumFeatures(1000);
    for (const t of ["a", "spark", "été", "🙂", ""]) {
      const h = murmur3x86_32(utf8(t), 42);
      assert.equal(tf.indexOf(t), ((h % 1000) + 1000) % 1000);
    }
  });
  it("works as a per-row function on a stream's rows", () => {
    const f = new HashingTF().setInputCol("w").setOutputCol("v").setNumFeatures(10).rowFunction();
    const out = f({ id: 7, w: ["b"] });
    assert.equal(out.id, 7);
    assert.deepEqual(Array.from((out.v as SparseVector).indices), [new HashingTF().setNumFeatures(10).indexOf("b")]);
    assert.throws(
      () => f({ id: 1 }),
      (e: MLError) => e.code === "MR_ML_INPUT",
    );
  });
});

describe("tokenizers", () => {
  it('Tokenizer lower-cases and splits on single whitespace, as Java\'s split("\\\\s") does', () => {
    const t = new Tokenizer().createTransformFunc();
    assert.deepEqual(t("Hi I heard about Spark"), ["hi", "i", "heard", "about", "spark"]);
    assert.deepEqual(t("a  b "), ["a", "", "b"]);
    assert.deepEqual(t(" a"), ["", "a"]);
    assert.deepEqual(t(""), [""]);
  });
  it("RegexTokenizer: gaps, matches, minTokenLength, toLowercase", () => {
    const r = new RegexTokenizer();
    assert.deepEqual(r.createTransformFunc()("  Logistic,regression  models "), ["logistic,regression", "models"]);
    r.setPattern("\\W+");
    assert.deepEqual(r.createTransformFunc()("Logistic,regression models!"), ["logistic", "regression", "models"]);
    r.setPattern("\\w+").setGaps(false).setMinTokenLength(3).setToLowercase(false);
    assert.deepEqual(r.createTransformFunc()("A big Spark of it"), ["big", "Spark"]);
  });
  it("NGram joins n consecutive tokens; fewer than n gives none", () => {
    const g = new NGram();
    assert.deepEqual(g.createTransformFunc()(["a", "b", "c"]), ["a b", "b c"]);
    assert.deepEqual(g.setN(3).createTransformFunc()(["a", "b"]), []);
    assert.deepEqual(g.setN(1).createTransformFunc()(["x"]), ["x"]);
  });
  it("Stemmer applies Porter's algorithm", () => {
    const s = new Stemmer().createTransformFunc();
    assert.deepEqual(s(["running", "considerations", "caresses", "ponies"]), ["run", "consider", "caress", "poni"]);
  });
});

describe("StopWordsRemover", () => {
  it("uses Spark's English list, case-insensitively by default", () => {
    const english = StopWordsRemover.loadDefaultStopWords("english");
    assert.equal(english.length, 181);
    assert.deepEqual(english.slice(0, 4), ["i", "me", "my", "myself"]);
    const r = new StopWordsRemover().setInputCol("raw").setOutputCol("filtered");
    const [row] = r.transform([{ raw: ["I", "saw", "the", "red", "balloon"] }]);
    assert.deepEqual(row!.filtered, ["saw", "red", "balloon"]);
    assert.deepEqual(r.setCaseSensitive(true).createTransformFunc()(["I", "the", "The"]), ["I", "The"]);
  });
  it("ships Spark's other languages", () => {
    assert.equal(StopWordsRemover.supportedLanguages.length, 14);
    assert.ok(StopWordsRemover.loadDefaultStopWords("german").includes("und"));
    assert.ok(StopWordsRemover.loadDefaultStopWords("russian").includes("и"));
    const fr = new StopWordsRemover().setStopWords(StopWordsRemover.loadDefaultStopWords("french"));
    assert.deepEqual(fr.createTransformFunc()(["Le", "chat", "est", "noir"]), ["chat", "noir"]);
    assert.throws(
      () => StopWordsRemover.loadDefaultStopWords("klingon"),
      (e: MLError) => e.code === "MR_ML_PARAM",
    );
  });
  it("locale decides case folding (Turkish dotted I)", () => {
    const r = new StopWordsRemover().setStopWords(["ili"]).setLocale("tr_TR");
    assert.deepEqual(r.createTransformFunc()(["İLİ", "ILI"]), ["ILI"]);
  });
});

describe("IDF", () => {
  it("idf = log((m+1)/(df+1)), minDocFreq zeroes rare terms", () => {
    const rows = [
      { tf: Vectors.sparse(3, [0, 1], [1, 2]) },
      { tf: Vectors.sparse(3, [0], [3]) },
      { tf: Vectors.dense(1, 0, 0) },
    ];
    const model = new IDF().setInputCol("tf").setOutputCol("tfidf").fit(rows);
    // df = [3, 1, 0], m = 3
    assert.deepEqual(model.docFreq, [3, 1, 0]);
    assert.equal(model.numDocs, 3);
    assert.deepEqual(Array.from(model.idf.values), [Math.log(4 / 4), Math.log(4 / 2), Math.log(4 / 1)]);
    const out = model.transform(rows)[0]!.tfidf as SparseVector;
    assert.deepEqual(Array.from(out.indices), [0, 1]);
    assert.deepEqual(Array.from(out.values), [0, 2 * Math.log(2)]);
    const strict = new IDF().setInputCol("tf").setMinDocFreq(2).fit(rows);
    assert.deepEqual(Array.from(strict.idf.values), [0, 0, 0]);
  });
});

describe("CountVectorizer", () => {
  it("vocabulary by corpus count, minDF, minTF, binary", () => {
    const rows = [{ w: ["a", "b", "c"] }, { w: ["a", "b", "b", "c", "a"] }];
    const model = new CountVectorizer().setInputCol("w").setOutputCol("v").fit(rows);
    // counts a=3, b=3, c=2; tie a/b broken by term
    assert.deepEqual(model.vocabulary, ["a", "b", "c"]);
    const v = model.transform(rows)[1]!.v as SparseVector;
    assert.deepEqual(Array.from(v.toArray()), [2, 2, 1]);
    const small = new CountVectorizer().setInputCol("w").setVocabSize(2).fit(rows);
    assert.deepEqual(small.vocabulary, ["a", "b"]);
    const df2 = new CountVectorizer()
      .setInputCol("w")
      .setMinDF(2)
      .fit([...rows, { w: ["z", "z", "z", "z"] }]);
    assert.deepEqual(df2.vocabulary, ["a", "b", "c"]);
    model.setMinTF(0.3); // 0.3 * 5 = 1.5: c (1) dropped
    assert.deepEqual(Array.from(model.countVector(["a", "b", "b", "c", "a"]).toArray()), [2, 2, 0]);
    model.setMinTF(1).setBinary(true);
    assert.deepEqual(Array.from(model.countVector(["a", "a", "x"]).toArray()), [1, 0, 0]);
  });
});

describe("VectorAssembler and StandardScaler", () => {
  it("assembles numbers, booleans and vectors in order", () => {
    const va = new VectorAssembler().setInputCols(["hour", "mobile", "userFeatures"]).setOutputCol("features");
    const [row] = va.transform([{ hour: 18, mobile: true, userFeatures: Vectors.dense(0, 10, 0.5) }]);
    assert.deepEqual(Array.from((row!.features as SparseVector).toArray()), [18, 1, 0, 10, 0.5]);
    assert.throws(() => va.transformRow({ hour: null, mobile: 1, userFeatures: Vectors.dense(1) }), /null or NaN/);
    assert.equal(
      va.setHandleInvalid("skip").transform([{ hour: Number.NaN, mobile: 1, userFeatures: Vectors.dense(1) }]).length,
      0,
    );
  });
  it("scales by the unbiased std, centers with withMean", () => {
    const rows = [{ x: Vectors.dense(1, 5) }, { x: Vectors.dense(3, 5) }, { x: Vectors.dense(5, 5) }];
    // column 0: mean 3, sample variance (4 + 0 + 4) / 2 = 4, std 2; column 1: std 0 -> scaled to 0
    const m = new StandardScaler().setInputCol("x").setOutputCol("y").fit(rows);
    assert.deepEqual(Array.from(m.std.values), [2, 0]);
    assert.deepEqual(Array.from(m.mean.values), [3, 5]);
    assert.deepEqual(Array.from((m.transform(rows)[2]!.y as SparseVector).toArray()), [2.5, 0]);
    const c = new StandardScaler().setInputCol("x").setOutputCol("y").setWithMean(true).fit(rows);
    assert.deepEqual(Array.from((c.transform(rows)[0]!.y as SparseVector).toArray()), [-1, 0]);
    const sparse = m.transformVector(Vectors.sparse(2, [0], [4]));
    assert.equal(sparse.type, "sparse");
  });
});
