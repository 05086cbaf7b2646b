/**
 * CountVectorizer as Spark ML fits it: a term's corpus count and document frequency; terms with
 * minDF <= df <= maxDF (a fraction of the documents when below 1.0) kept; the vocabSize terms of largest
 * corpus count, in descending count order (ties by term, where Spark leaves them unspecified).
 * CountVectorizerModel counts a document's vocabulary terms, dropping those below minTF (a fraction of
 * the document's length when below 1.0); `binary` sets every nonzero count to 1.
 */
import { MLError } from "../errors.js";
import { type SparseVector, Vectors } from "../linalg.js";
import { type Row, requireParam } from "../param.js";
import { Estimator, Model, column } from "../pipeline-stage.js";

const IO = { inputCol: undefined, outputCol: undefined, minTF: 1.0, binary: false };

function termsOf(x: unknown): string[] {
  if (!Array.isArray(x)) throw new MLError("MR_ML_INPUT", "CountVectorizer: input must be an array of terms");
  return x as string[];
}

export class CountVectorizer extends Estimator<CountVectorizerModel> {
  constructor(uid?: string) {
    super("cntVec", { ...IO, vocabSize: 1 << 18, minDF: 1.0, maxDF: Number.MAX_SAFE_INTEGER }, uid);
  }
  setInputCol(c: string): this {
    return this.set("inputCol", c);
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }
  setVocabSize(n: number): this {
    requireParam(Number.isInteger(n) && n > 0, "CountVectorizer", "vocabSize must be a positive integer");
    return this.set("vocabSize", n);
  }
  setMinDF(x: number): this {
    requireParam(x >= 0, "CountVectorizer", "minDF must be >= 0");
    return this.set("minDF", x);
  }
  setMaxDF(x: number): this {
    requireParam(x >= 0, "CountVectorizer", "maxDF must be >= 0");
    return this.set("maxDF", x);
  }
  setMinTF(x: number): this {
    requireParam(x >= 0, "CountVectorizer", "minTF must be >= 0");
    return this.set("minTF", x);
  }
  setBinary(b: boolean): this {
    return this.set("binary", b);
  }

  fit(rows: Row[]): CountVectorizerModel {
    const col = this.getOrDefault<string>("inputCol");
    const counts = new Map<string, { count: number; df: number }>();
    for (const row of rows) {
      const wc = new Map<string, number>();
      for (const t of termsOf(column(row, col, "CountVectorizer"))) wc.set(t, (wc.get(t) ?? 0) + 1);
      for (const [t, c] of wc) {
        const cur = counts.get(t);
        if (cur) {
          cur.count += c;
          cur.df += 1;
        } else counts.set(t, { count: c, df: 1 });
      }
    }
    const n = rows.length;
    const minDF = this.getOrDefault<number>("minDF");
    const maxDF = this.getOrDefault<number>("maxDF");
    const lo = minDF >= 1 ? minDF : minDF * n;
    const hi = maxDF >= 1 ? maxDF : maxDF * n;
    requireParam(lo <= hi, "CountVectorizer", "maxDF must be >= minDF");
    const kept = [...counts].filter(([, c]) => c.df >= lo && c.df <= hi);
    kept.sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const vocab = kept.slice(0, this.getOrDefault<number>("vocabSize")).map(([t]) => t);
    if (vocab.length === 0) throw new MLError("MR_ML_INPUT", "CountVectorizer: the vocabulary is empty");
    return new CountVectorizerModel(vocab, this.uid).setParams(this.paramMap());
  }
}

export class CountVectorizerModel extends Model {
  private readonly index: Map<string, number>;
  constructor(
    readonly vocabulary: string[],
    uid?: string,
  ) {
    super("cntVecModel", { ...IO, vocabSize: 1 << 18, minDF: 1.0, maxDF: Number.MAX_SAFE_INTEGER }, uid);
    this.index = new Map(vocabulary.map((t, i) => [t, i]));
  }
  setInputCol(c: string): this {
    return this.set("inputCol", c);
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }
  setMinTF(x: number): this {
    return this.set("minTF", x);
  }
  setBinary(b: boolean): this {
    return this.set("binary", b);
  }

  countVector(terms: string[]): SparseVector {
    const tf = new Map<number, number>();
    let total = 0;
    for (const t of termsOf(terms)) {
      const i = this.index.get(t);
      if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
      total++;
    }
    const minTF = this.getOrDefault<number>("minTF");
    const cut = minTF >= 1 ? minTF : minTF * total;
    const binary = this.getOrDefault<boolean>("binary");
    const kept = [...tf].filter(([, c]) => c >= cut).map(([i, c]): [number, number] => [i, binary ? 1 : c]);
    return Vectors.sparse(this.vocabulary.length, kept);
  }

  transformRow(row: Row): Row {
    const terms = termsOf(column(row, this.getOrDefault("inputCol"), "CountVectorizerModel"));
    return { ...row, [this.getOrDefault<string>("outputCol")]: this.countVector(terms) };
  }
}
