// Shared by the record-layer tests: fixture loading, byte specs from the
// manifest, and a minimal zstd encoder (raw blocks) for runtimes without one.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { crc32 } from "../../../src/protocol/records/crc32.js";

export const FIXTURES = new URL("../../fixtures/records/", import.meta.url);

export type ByteSpec = null | { utf8: string } | { base64: string } | { sha256: string; length: number };

export interface ManifestRecord {
  offset: string;
  timestamp: string;
  key: ByteSpec;
  value: ByteSpec;
  headers?: { key: string; value: ByteSpec }[];
}

export interface ManifestBatch {
  baseOffset: string;
  magic: number;
  compression: number;
  attributes: number;
  partitionLeaderEpoch: number;
  producerId: string;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
  baseTimestamp: string;
  maxTimestamp: string;
  size: number;
  records: ManifestRecord[];
  recordCount: number;
  recordsDigest: string;
}

export type Fixture =
  | { file: string; kind: "v2"; description: string; batches: ManifestBatch[]; truncatedTail: number }
  | {
      file: string;
      kind: "legacy";
      description: string;
      magic: 0 | 1;
      topLevel: { offset: string; compression: number; timestamp?: string }[];
      messages: ManifestRecord[];
      v2Batches: { compression: number; count: number }[];
    }
  | { file: string; kind: "codec"; description: string; codec: number; length: number; sha256: string };

export interface Manifest {
  generator: string;
  kafkaPython: string;
  fixtures: Fixture[];
}

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(new URL("manifest.json", FIXTURES), "utf8")) as Manifest;
}

export function loadFixture(file: string): Buffer {
  return readFileSync(new URL(file, FIXTURES));
}

export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** The bytes a spec stands for (sha256 specs cannot be materialised: null). */
export function specBytes(spec: ByteSpec): Buffer | null {
  if (spec === null) return null;
  if ("utf8" in spec) return Buffer.from(spec.utf8, "utf8");
  if ("base64" in spec) return Buffer.from(spec.base64, "base64");
  throw new Error("sha256 spec has no bytes");
}

/** True when `actual` matches the manifest's spec. */
export function matchesSpec(actual: Buffer | null, spec: ByteSpec): boolean {
  if (spec === null || actual === null) return spec === null && actual === null;
  if ("sha256" in spec) return actual.length === spec.length && sha256(actual) === spec.sha256;
  return actual.equals(specBytes(spec) as Buffer);
}

/** The manifest's recordsDigest over decoded records (see make-record-fixtures.py). */
export function recordsDigest(
  records: {
    offset: bigint;
    timestamp: bigint;
    key: Buffer | null;
    value: Buffer | null;
    headers: { key: string; value: Buffer | null }[];
  }[],
): string {
  const h = createHash("sha256");
  const hx = (b: Buffer | null) => (b === null ? "-" : b.toString("hex"));
  for (const r of records) {
    const heads = r.headers.map((x) => `${Buffer.from(x.key, "utf8").toString("hex")}=${hx(x.value)}`).join(",");
    h.update(`${r.offset}|${r.timestamp}|${hx(r.key)}|${hx(r.value)}|${heads}\n`);
  }
  return h.digest("hex");
}

/**
 * A valid zstd frame holding `data` in raw (stored) blocks: what a zstd
 * encoder at "level 0" could emit. Lets tests exercise zstd batches on
 * runtimes without a zstd encoder.
 */
export function zstdRawFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4 + 1 + 8);
  head.writeUInt32LE(0xfd2fb528, 0);
  head[4] = 0xe0; // 8-byte content size, single segment, no checksum, no dictionary
  head.writeBigUInt64LE(BigInt(data.length), 5);
  parts.push(head);
  const max = 128 * 1024;
  let p = 0;
  do {
    const n = Math.min(max, data.length - p);
    const last = p + n >= data.length ? 1 : 0;
    const bh = Buffer.alloc(3);
    const v = last | (0 << 1) | (n << 3);
    bh[0] = v & 0xff;
    bh[1] = (v >>> 8) & 0xff;
    bh[2] = (v >>> 16) & 0xff;
    parts.push(bh, data.subarray(p, p + n));
    p += n;
  } while (p < data.length);
  return Buffer.concat(parts);
}

/** A deterministic pseudo-random generator (tests must be reproducible). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export function randomBuffer(rnd: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rnd() & 0xff;
  return b;
}

/** Encodes one legacy message (magic 0 or 1) the way the format defines it, for tests. */
export function legacyMessage(opts: {
  offset?: bigint;
  magic: 0 | 1;
  attributes?: number;
  timestamp?: bigint;
  key: Buffer | null;
  value: Buffer | null;
}): Buffer {
  const { magic } = opts;
  const keyLen = opts.key === null ? 0 : opts.key.length;
  const valueLen = opts.value === null ? 0 : opts.value.length;
  const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + keyLen + 4 + valueLen;
  const b = Buffer.alloc(12 + size);
  b.writeBigInt64BE(opts.offset ?? 0n, 0);
  b.writeInt32BE(size, 8);
  b[16] = magic;
  b[17] = opts.attributes ?? 0;
  let p = 18;
  if (magic === 1) {
    b.writeBigInt64BE(opts.timestamp ?? 0n, p);
    p += 8;
  }
  b.writeInt32BE(opts.key === null ? -1 : keyLen, p);
  p += 4;
  if (opts.key) p += opts.key.copy(b, p);
  b.writeInt32BE(opts.value === null ? -1 : valueLen, p);
  p += 4;
  if (opts.value) p += opts.value.copy(b, p);
  b.writeUInt32BE(crc32(b, 16, b.length), 12);
  return b;
}
