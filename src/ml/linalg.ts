/**
 * Vectors as Spark ML has them: DenseVector (all values) and SparseVector (size, sorted indices, values),
 * built with Vectors.dense / Vectors.sparse. Values are float64, as in Spark.
 */
import { MLError } from "./errors.js";

export type Vector = DenseVector | SparseVector;

export class DenseVector {
  readonly type = "dense" as const;
  constructor(readonly values: Float64Array) {}

  get size(): number {
    return this.values.length;
  }
  get(i: number): number {
    return this.values[i] ?? 0;
  }
  toArray(): Float64Array {
    return Float64Array.from(this.values);
  }
  numNonzeros(): number {
    let n = 0;
    for (const v of this.values) if (v !== 0) n++;
    return n;
  }
  numActives(): number {
    return this.values.length;
  }
  /** calls fn(index, value) for every stored entry */
  foreachActive(fn: (i: number, v: number) => void): void {
    const vs = this.values;
    for (let i = 0; i < vs.length; i++) fn(i, vs[i]!);
  }
  toDense(): DenseVector {
    return this;
  }
  toSparse(): SparseVector {
    const idx: number[] = [];
    const val: number[] = [];
    this.foreachActive((i, v) => {
      if (v !== 0) {
        idx.push(i);
        val.push(v);
      }
    });
    return new SparseVector(this.size, Int32Array.from(idx), Float64Array.from(val));
  }
  /** the smaller of the dense and sparse forms, by Spark's rule: sparse when 1.5 * (nnz + 1) < size */
  compressed(): Vector {
    return 1.5 * (this.numNonzeros() + 1) < this.size ? this.toSparse() : this;
  }
  dot(other: Vector): number {
    return dot(this, other);
  }
  equals(other: Vector): boolean {
    return vectorsEqual(this, other);
  }
  toJSON(): { type: 1; values: number[] } {
    return { type: 1, values: Array.from(this.values) };
  }
  toString(): string {
    return `[${Array.from(this.values).join(",")}]`;
  }
}

export class SparseVector {
  readonly type = "sparse" as const;
  constructor(
    readonly size: number,
    readonly indices: Int32Array,
    readonly values: Float64Array,
  ) {
    if (indices.length !== values.length)
      throw new MLError("MR_ML_DIMENSION", `sparse vector: ${indices.length} indices but ${values.length} values`);
    let prev = -1;
    for (const i of indices) {
      if (i <= prev || i >= size)
        throw new MLError("MR_ML_DIMENSION", `sparse vector: indices must be increasing and below size ${size}`);
      prev = i;
    }
  }

  get(i: number): number {
    let lo = 0;
    let hi = this.indices.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const x = this.indices[mid]!;
      if (x === i) return this.values[mid]!;
      if (x < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }
  toArray(): Float64Array {
    const out = new Float64Array(this.size);
    for (let k = 0; k < this.indices.length; k++) out[this.indices[k]!] = this.values[k]!;
    return out;
  }
  numNonzeros(): number {
    let n = 0;
    for (const v of this.values) if (v !== 0) n++;
    return n;
  }
  numActives(): number {
    return this.values.length;
  }
  foreachActive(fn: (i: number, v: number) => void): void {
    for (let k = 0; k < this.indices.length; k++) fn(this.indices[k]!, this.values[k]!);
  }
  toDense(): DenseVector {
    return new DenseVector(this.toArray());
  }
  toSparse(): SparseVector {
    if (this.numNonzeros() === this.values.length) return this;
    return this.toDense().toSparse();
  }
  compressed(): Vector {
    return 1.5 * (this.numNonzeros() + 1) < this.size ? this.toSparse() : this.toDense();
  }
  dot(other: Vector): number {
    return dot(this, other);
  }
  equals(other: Vector): boolean {
    return vectorsEqual(this, other);
  }
  toJSON(): { type: 0; size: number; indices: number[]; values: number[] } {
    return { type: 0, size: this.size, indices: Array.from(this.indices), values: Array.from(this.values) };
  }
  toString(): string {
    return `(${this.size},[${Array.from(this.indices).join(",")}],[${Array.from(this.values).join(",")}])`;
  }
}

function checkSize(a: Vector, b: Vector): void {
  if (a.size !== b.size) throw new MLError("MR_ML_DIMENSION", `vector sizes differ: ${a.size} and ${b.size}`);
}

function dot(a: Vector, b: Vector): number {
  checkSize(a, b);
  if (a.type === "dense" && b.type === "dense") {
    let s = 0;
    for (let i = 0; i < a.values.length; i++) s += a.values[i]! * b.values[i]!;
    return s;
  }
  const [sp, other] = a.type === "sparse" ? [a, b] : [b as SparseVector, a];
  let s = 0;
  sp.foreachActive((i, v) => {
    s += v * other.get(i);
  });
  return s;
}

/** equal size and equal values at every index (Spark's Vector.equals: dense and sparse forms compare equal) */
function vectorsEqual(a: Vector, b: Vector): boolean {
  if (a.size !== b.size) return false;
  const x = a.toArray();
  const y = b.toArray();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export const Vectors = {
  dense(values: ArrayLike<number> | number, ...rest: number[]): DenseVector {
    if (typeof values === "number") return new DenseVector(Float64Array.from([values, ...rest]));
    return new DenseVector(Float64Array.from(values));
  },
  /** Vectors.sparse(size, indices, values) or Vectors.sparse(size, [[index, value], ...]) (sorted for you) */
  sparse(size: number, a: ArrayLike<number> | Iterable<[number, number]>, b?: ArrayLike<number>): SparseVector {
    if (b !== undefined) return new SparseVector(size, Int32Array.from(a as ArrayLike<number>), Float64Array.from(b));
    const pairs = [...(a as Iterable<[number, number]>)].sort((x, y) => x[0] - y[0]);
    return new SparseVector(size, Int32Array.from(pairs.map((p) => p[0])), Float64Array.from(pairs.map((p) => p[1])));
  },
  zeros(size: number): DenseVector {
    return new DenseVector(new Float64Array(size));
  },
  /** squared Euclidean distance */
  sqdist(a: Vector, b: Vector): number {
    checkSize(a, b);
    const x = a.toArray();
    const y = b.toArray();
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - y[i]!;
      s += d * d;
    }
    return s;
  },
  /** the p-norm */
  norm(v: Vector, p = 2): number {
    let s = 0;
    let max = 0;
    v.foreachActive((_i, x) => {
      const a = Math.abs(x);
      if (p === 1) s += a;
      else if (p === 2) s += a * a;
      else if (p === Number.POSITIVE_INFINITY) max = Math.max(max, a);
      else s += a ** p;
    });
    if (p === 1) return s;
    if (p === 2) return Math.sqrt(s);
    if (p === Number.POSITIVE_INFINITY) return max;
    return s ** (1 / p);
  },
  /** a vector from its toJSON() form (Spark's VectorUDT layout: type 0 sparse, 1 dense) */
  fromJSON(j: { type: number; size?: number; indices?: number[]; values: number[] }): Vector {
    if (j.type === 1) return Vectors.dense(j.values);
    if (j.type === 0 && j.size !== undefined && j.indices) return Vectors.sparse(j.size, j.indices, j.values);
    throw new MLError("MR_ML_INPUT", "not a vector's JSON form");
  },
};

export function isVector(x: unknown): x is Vector {
  return x instanceof DenseVector || x instanceof SparseVector;
}
