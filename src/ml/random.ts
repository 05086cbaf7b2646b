/**
 * Spark's XORShiftRandom (a java.util.Random whose next(bits) is a 64-bit xorshift, seeded through
 * MurmurHash3 of the seed's 8 big-endian bytes) with Java's nextDouble and nextGaussian, so a seed
 * gives the numbers Spark draws (StreamingKMeans.setRandomCenters, sampling).
 */
import { murmur3x86_32 } from "./feature/hashing-tf.js";

const MASK64 = (1n << 64n) - 1n;
/** scala.util.hashing.MurmurHash3.arraySeed */
const ARRAY_SEED = 0x3c074a61;

export function hashSeed(seed: bigint): bigint {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt.asIntN(64, seed));
  const low = murmur3x86_32(bytes, ARRAY_SEED);
  const high = murmur3x86_32(bytes, low);
  return ((BigInt(high) << 32n) | (BigInt(low) & 0xffffffffn)) & MASK64;
}

export class XORShiftRandom {
  private seed: bigint;
  private nextNextGaussian: number | undefined;

  constructor(seed: number | bigint) {
    this.seed = hashSeed(BigInt(seed));
  }

  next(bits: number): number {
    let s = this.seed;
    s ^= (s << 21n) & MASK64;
    s ^= s >> 35n;
    s ^= (s << 4n) & MASK64;
    this.seed = s;
    return Number(BigInt.asIntN(32, s & ((1n << BigInt(bits)) - 1n)));
  }

  nextDouble(): number {
    return (this.next(26) * 2 ** 27 + this.next(27)) * 2 ** -53;
  }

  nextGaussian(): number {
    if (this.nextNextGaussian !== undefined) {
      const g = this.nextNextGaussian;
      this.nextNextGaussian = undefined;
      return g;
    }
    let v1: number;
    let v2: number;
    let s: number;
    do {
      v1 = 2 * this.nextDouble() - 1;
      v2 = 2 * this.nextDouble() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s === 0);
    const multiplier = Math.sqrt((-2 * Math.log(s)) / s);
    this.nextNextGaussian = v2 * multiplier;
    return v1 * multiplier;
  }
}
