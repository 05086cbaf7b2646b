/**
 * IDF as Spark ML computes it: over m documents, a term in df of them (df counts entries > 0) gets
 * idf = log((m + 1) / (df + 1)), or 0 when df < minDocFreq; IDFModel multiplies each vector by the idf.
 */
import { MLError } from "../errors.js";
import { DenseVector, SparseVector, type Vector, Vectors, isVector } from "../linalg.js";
import type { Row } from "../param.js";
import { Estimator, Model, column } from "../pipeline-stage.js";

export function asVector(x: unknown, stage: string): Vector {
  if (isVector(x)) return x;
  if (Array.isArray(x) || x instanceof Float64Array) return Vectors.dense(x as ArrayLike<number>);
  throw new MLError("MR_ML_INPUT", `${stage}: expected a vector, got ${x === null ? "null" : typeof x}`);
}

const IO = { inputCol: undefined, outputCol: undefined };

export class IDF extends Estimator<IDFModel> {
  constructor(uid?: string) {
    super("idf", { ...IO, minDocFreq: 0 }, uid);
  }
  setInputCol(c: string): this {
    return this.set("inputCol", c);
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }
  getMinDocFreq(): number {
    return this.getOrDefault("minDocFreq");
  }
  setMinDocFreq(n: number): this {
    return this.set("minDocFreq", n);
  }

  fit(rows: Row[]): IDFModel {
    const col = this.getOrDefault<string>("inputCol");
    let df: Float64Array | undefined;
    let m = 0;
    for (const row of rows) {
      const v = asVector(column(row, col, "IDF"), "IDF");
      df ??= new Float64Array(v.size);
      if (v.size !== df.length)
        throw new MLError("MR_ML_DIMENSION", `IDF: vector of size ${v.size}, expected ${df.length}`);
      const d = df;
      v.foreachActive((i, x) => {
        if (x > 0) d[i]! += 1;
      });
      m++;
    }
    if (!df) throw new MLError("MR_ML_INPUT", "IDF: cannot fit on an empty data set");
    const minDocFreq = this.getMinDocFreq();
    const idf = df.map((d) => (d >= minDocFreq ? Math.log((m + 1) / (d + 1)) : 0));
    return new IDFModel(this.uid, Vectors.dense(idf), Array.from(df), m).setParams(this.paramMap());
  }
}

export class IDFModel extends Model {
  constructor(
    uid: string,
    readonly idf: DenseVector,
    readonly docFreq: number[],
    readonly numDocs: number,
  ) {
    super("idf", { ...IO, minDocFreq: 0 }, uid);
  }
  setInputCol(c: string): this {
    return this.set("inputCol", c);
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }

  /** the vector scaled by the idf (a sparse vector keeps its entries, a dense one stays dense) */
  transformVector(v: Vector): Vector {
    const idf = this.idf.values;
    if (v.size !== idf.length)
      throw new MLError("MR_ML_DIMENSION", `IDFModel: vector of size ${v.size}, expected ${idf.length}`);
    if (v instanceof SparseVector) {
      const vals = v.values.map((x, k) => x * idf[v.indices[k]!]!);
      return new SparseVector(v.size, Int32Array.from(v.indices), vals);
    }
    return new DenseVector(v.values.map((x, i) => x * idf[i]!));
  }

  transformRow(row: Row): Row {
    const v = asVector(column(row, this.getOrDefault("inputCol"), "IDFModel"), "IDFModel");
    return { ...row, [this.getOrDefault<string>("outputCol")]: this.transformVector(v) };
  }
}
