/**
 * VectorAssembler (numbers, booleans and vectors concatenated into one vector, in Spark's compressed form)
 * and StandardScaler (withMean false, withStd true by default; std is the unbiased sample standard
 * deviation; a zero std scales to 0).
 */
import { MLError } from "../errors.js";
import { DenseVector, SparseVector, type Vector, Vectors, isVector } from "../linalg.js";
import type { Row } from "../param.js";
import { Estimator, Model, Transformer, column } from "../pipeline-stage.js";
import { asVector } from "./idf.js";

export class VectorAssembler extends Transformer {
  constructor(uid?: string) {
    super("vecAssembler", { inputCols: undefined, outputCol: "features", handleInvalid: "error" }, uid);
  }
  setInputCols(cols: string[]): this {
    return this.set("inputCols", [...cols]);
  }
  getInputCols(): string[] {
    return this.getOrDefault("inputCols");
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }
  /** "error" (default): a null, undefined or NaN input throws; "keep": it becomes NaN; "skip": the row is dropped */
  setHandleInvalid(h: "error" | "keep" | "skip"): this {
    return this.set("handleInvalid", h);
  }

  /** the assembled vector, or undefined when handleInvalid is "skip" and the row is invalid */
  assemble(row: Row): Vector | undefined {
    const handle = this.getOrDefault<string>("handleInvalid");
    const idx: number[] = [];
    const vals: number[] = [];
    let size = 0;
    for (const c of this.getInputCols()) {
      const x = column(row, c, "VectorAssembler");
      if (isVector(x)) {
        x.foreachActive((i, v) => {
          if (v !== 0) {
            idx.push(size + i);
            vals.push(v);
          }
        });
        size += x.size;
        continue;
      }
      const v = typeof x === "boolean" ? (x ? 1 : 0) : x;
      if (typeof v !== "number" && v !== null && v !== undefined)
        throw new MLError("MR_ML_INPUT", `VectorAssembler: column ${c} is neither a number nor a vector`);
      if (v === null || v === undefined || Number.isNaN(v)) {
        if (handle === "skip") return undefined;
        if (handle === "error")
          throw new MLError("MR_ML_INPUT", `VectorAssembler: column ${c} is null or NaN (handleInvalid "error")`);
      }
      const n = typeof v === "number" ? v : Number.NaN;
      if (n !== 0) {
        idx.push(size);
        vals.push(n);
      }
      size += 1;
    }
    return new SparseVector(size, Int32Array.from(idx), Float64Array.from(vals)).compressed();
  }

  override transform(rows: Iterable<Row>): Row[] {
    const out: Row[] = [];
    const col = this.getOrDefault<string>("outputCol");
    for (const r of rows) {
      const v = this.assemble(r);
      if (v) out.push({ ...r, [col]: v });
    }
    return out;
  }

  transformRow(row: Row): Row {
    const v = this.assemble(row);
    if (!v) throw new MLError("MR_ML_INPUT", "VectorAssembler: invalid row (use transform() to skip rows)");
    return { ...row, [this.getOrDefault<string>("outputCol")]: v };
  }
}

const SCALER = { inputCol: undefined, outputCol: undefined, withMean: false, withStd: true };

export class StandardScaler extends Estimator<StandardScalerModel> {
  constructor(uid?: string) {
    super("stdScal", SCALER, uid);
  }
  setInputCol(c: string): this {
    return this.set("inputCol", c);
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }
  setWithMean(b: boolean): this {
    return this.set("withMean", b);
  }
  setWithStd(b: boolean): this {
    return this.set("withStd", b);
  }

  fit(rows: Row[]): StandardScalerModel {
    const col = this.getOrDefault<string>("inputCol");
    const vs = rows.map((r) => asVector(column(r, col, "StandardScaler"), "StandardScaler"));
    const { mean, std } = meanAndStd(vs);
    return new StandardScalerModel(this.uid, Vectors.dense(std), Vectors.dense(mean)).setParams(this.paramMap());
  }
}

/** column means and unbiased sample standard deviations (0 for fewer than two vectors) */
export function meanAndStd(vs: Vector[]): { mean: Float64Array; std: Float64Array } {
  if (vs.length === 0) throw new MLError("MR_ML_INPUT", "cannot summarize an empty data set");
  const d = vs[0]!.size;
  const mean = new Float64Array(d);
  const m2 = new Float64Array(d);
  let n = 0;
  for (const v of vs) {
    if (v.size !== d) throw new MLError("MR_ML_DIMENSION", `vector of size ${v.size}, expected ${d}`);
    n++;
    const x = v.toArray();
    for (let i = 0; i < d; i++) {
      const delta = x[i]! - mean[i]!;
      mean[i]! += delta / n;
      m2[i]! += delta * (x[i]! - mean[i]!);
    }
  }
  const std = m2.map((s) => (n > 1 ? Math.sqrt(Math.max(0, s / (n - 1))) : 0));
  return { mean, std };
}

export class StandardScalerModel extends Model {
  constructor(
    uid: string,
    readonly std: DenseVector,
    readonly mean: DenseVector,
  ) {
    super("stdScal", SCALER, uid);
  }
  setInputCol(c: string): this {
    return this.set("inputCol", c);
  }
  setOutputCol(c: string): this {
    return this.set("outputCol", c);
  }

  transformVector(v: Vector): Vector {
    const withMean = this.getOrDefault<boolean>("withMean");
    const withStd = this.getOrDefault<boolean>("withStd");
    const scale = this.std.values.map((s) => (withStd ? (s !== 0 ? 1 / s : 0) : 1));
    if (withMean) {
      const x = v.toArray();
      for (let i = 0; i < x.length; i++) x[i] = (x[i]! - this.mean.values[i]!) * scale[i]!;
      return new DenseVector(x);
    }
    if (v instanceof SparseVector)
      return new SparseVector(
        v.size,
        Int32Array.from(v.indices),
        v.values.map((x, k) => x * scale[v.indices[k]!]!),
      );
    return new DenseVector(v.values.map((x, i) => x * scale[i]!));
  }

  transformRow(row: Row): Row {
    const v = asVector(column(row, this.getOrDefault("inputCol"), "StandardScalerModel"), "StandardScalerModel");
    return { ...row, [this.getOrDefault<string>("outputCol")]: this.transformVector(v) };
  }
}
