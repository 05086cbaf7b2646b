/**
 * HashingTF as Spark ML 3.x computes it: each term's UTF-8 bytes hashed with MurmurHash3 x86_32 (seed 42),
 * index = the non-negative remainder modulo numFeatures (default 2^18), value = the term's count (1.0 when
 * `binary`). The output is a SparseVector with sorted indices.
 */
import { MLError } from "../errors.js";
import { type SparseVector, Vectors } from "../linalg.js";
import { requireParam } from "../param.js";
import { UnaryTransformer } from "../pipeline-stage.js";

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK1(k: number): number {
  let k1 = Math.imul(k, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  return Math.imul(k1, C2);
}

function mixH1(h: number, k1: number): number {
  let h1 = h ^ k1;
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

function fmix(h: number, length: number): number {
  let h1 = h ^ length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 | 0;
}

/** MurmurHash3 x86_32 of the bytes, as a signed 32-bit integer (what Java's int holds) */
export function murmur3x86_32(bytes: Uint8Array, seed: number): number {
  const n = bytes.length;
  const aligned = n - (n % 4);
  let h1 = seed | 0;
  for (let i = 0; i < aligned; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h1 = mixH1(h1, mixK1(k));
  }
  const tail = n & 3;
  if (tail > 0) {
    let k1 = 0;
    if (tail === 3) k1 ^= bytes[aligned + 2]! << 16;
    if (tail >= 2) k1 ^= bytes[aligned + 1]! << 8;
    k1 ^= bytes[aligned]!;
    h1 ^= mixK1(k1);
  }
  return fmix(h1, n);
}

/** Spark's Utils.nonNegativeMod */
export function nonNegativeMod(x: number, mod: number): number {
  const r = x % mod;
  return r < 0 ? r + mod : r;
}

const encoder = new TextEncoder();

export class HashingTF extends UnaryTransformer<string[], SparseVector> {
  static readonly seed = 42;

  constructor(uid?: string) {
    super("hashingTF", { numFeatures: 1 << 18, binary: false }, uid);
  }
  getNumFeatures(): number {
    return this.getOrDefault("numFeatures");
  }
  setNumFeatures(n: number): this {
    requireParam(Number.isInteger(n) && n >= 1, "HashingTF", "numFeatures must be an integer >= 1");
    return this.set("numFeatures", n);
  }
  getBinary(): boolean {
    return this.getOrDefault("binary");
  }
  setBinary(b: boolean): this {
    return this.set("binary", b);
  }

  /** the index of a term */
  indexOf(term: string): number {
    if (typeof term !== "string") throw new MLError("MR_ML_INPUT", "HashingTF: terms must be strings");
    return nonNegativeMod(murmur3x86_32(encoder.encode(term), HashingTF.seed), this.getNumFeatures());
  }

  createTransformFunc(): (terms: string[]) => SparseVector {
    const n = this.getNumFeatures();
    const binary = this.getBinary();
    return (terms) => {
      if (!Array.isArray(terms)) throw new MLError("MR_ML_INPUT", "HashingTF: input must be an array of terms");
      const tf = new Map<number, number>();
      for (const t of terms) {
        if (typeof t !== "string") throw new MLError("MR_ML_INPUT", "HashingTF: terms must be strings");
        const i = nonNegativeMod(murmur3x86_32(encoder.encode(t), HashingTF.seed), n);
        tf.set(i, binary ? 1 : (tf.get(i) ?? 0) + 1);
      }
      return Vectors.sparse(n, tf);
    };
  }
}
