/**
 * The compression codecs of Kafka record batches and legacy wrapper messages.
 *
 *   none   (0)
 *   gzip   (1)  node:zlib
 *   snappy (2)  snappyjs. Decompression accepts raw snappy (librdkafka, our
 *               own encoder) and the xerial block framing of snappy-java (the
 *               Java client, kafka-python): magic 0x82 "SNAPPY" 0x00, two
 *               int32s (version, compatible version), then repeated
 *               [int32 length][raw snappy block]. Compression writes raw
 *               snappy, as librdkafka does; snappy-java reads both.
 *   lz4    (3)  the LZ4 frame format (./lz4.ts)
 *   zstd   (4)  decompression with fzstd (pure JS). Compression needs an
 *               encoder: node:zlib's where the runtime has one (Node >= 22.15),
 *               or one registered with setZstdCompressor (for example a WASM
 *               or native binding the application chooses). Without either,
 *               compress throws MR_RECORDS_UNSUPPORTED_CODEC: there is no
 *               pure-JS zstd encoder on npm.
 *
 * Every failure is a RecordsError: undecodable data is CORRUPT_MESSAGE (2);
 * an unknown codec id or an unavailable encoder is
 * UNSUPPORTED_COMPRESSION_TYPE (76).
 */
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { decompress as fzstdDecompress } from "fzstd";
import { CompressionType, RecordsError } from "./batch.js";
import { lz4CompressFrame, lz4DecompressFrame } from "./lz4.js";

const CORRUPT_MESSAGE = 2;
const UNSUPPORTED_COMPRESSION_TYPE = 76;

interface SnappyJs {
  compress(data: Buffer): Buffer;
  uncompress(data: Buffer, maxLength?: number): Buffer;
}
const snappy = createRequire(import.meta.url)("snappyjs") as SnappyJs;

export interface DecompressOptions {
  /** Refuse to produce more than this many bytes (a guard against compression bombs). */
  maxSize?: number;
}

export interface CompressOptions {
  /** Codec level where the codec has one (gzip 1-9, zstd 1-22); the codec's default otherwise. */
  level?: number;
}

/** Kafka's names for the codecs, as in compression.type. */
const NAMES: Record<string, CompressionType> = {
  none: CompressionType.None,
  uncompressed: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

/** The codec for a compression.type value ("none", "gzip", "snappy", "lz4", "zstd"). */
export function compressionTypeFromName(name: string): CompressionType {
  const t = NAMES[name.trim().toLowerCase()];
  if (t === undefined) {
    throw new RecordsError(
      "MR_RECORDS_UNKNOWN_CODEC",
      UNSUPPORTED_COMPRESSION_TYPE,
      `unknown compression type "${name}"`,
    );
  }
  return t;
}

/** Kafka's name for a codec id. */
export function compressionName(type: CompressionType): string {
  switch (type) {
    case CompressionType.None:
      return "none";
    case CompressionType.Gzip:
      return "gzip";
    case CompressionType.Snappy:
      return "snappy";
    case CompressionType.Lz4:
      return "lz4";
    case CompressionType.Zstd:
      return "zstd";
    default:
      throw unknownCodec(type);
  }
}

function unknownCodec(type: number): RecordsError {
  return new RecordsError(
    "MR_RECORDS_UNKNOWN_CODEC",
    UNSUPPORTED_COMPRESSION_TYPE,
    `unknown compression codec id ${type}`,
  );
}

function corrupt(codec: string, cause: unknown): RecordsError {
  if (cause instanceof RecordsError) return cause;
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new RecordsError("MR_RECORDS_DECOMPRESS", CORRUPT_MESSAGE, `${codec}: cannot decompress: ${msg}`);
}

function tooLarge(codec: string, max: number): RecordsError {
  return new RecordsError("MR_RECORDS_TOO_LARGE", CORRUPT_MESSAGE, `${codec}: decompressed data exceeds ${max} bytes`);
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// ---------------------------------------------------------------- snappy

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

/** True when `data` starts with snappy-java's stream header. */
export function isXerialSnappy(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

/**
 * Raw snappy: checks the declared length (the leading varint) before the
 * output is allocated. No snappy element expands more than 64 bytes out of 3
 * in, so a declared length beyond 32x the input is corrupt, not a bomb.
 */
function snappyBlock(data: Buffer, maxSize: number): Buffer {
  let declared = 0;
  for (let i = 0, shift = 0; ; i++, shift += 7) {
    if (i >= data.length || i >= 5) throw new Error("bad length preamble");
    declared += (data[i] & 0x7f) * 2 ** shift;
    if ((data[i] & 0x80) === 0) break;
  }
  if (declared > maxSize) throw new Error(`too big: ${declared} bytes`);
  if (declared > data.length * 32 + 32)
    throw new Error(`declared length ${declared} is impossible for ${data.length} bytes of input`);
  return snappy.uncompress(data);
}

function snappyDecompress(data: Buffer, maxSize: number): Buffer {
  if (!isXerialSnappy(data)) return snappyBlock(data, maxSize);
  const parts: Buffer[] = [];
  let total = 0;
  let p = XERIAL_HEADER;
  while (p < data.length) {
    if (data.length - p < 4) throw new Error("truncated xerial block length");
    const len = data.readInt32BE(p);
    p += 4;
    if (len < 0 || p + len > data.length) throw new Error(`xerial block of ${len} bytes does not fit`);
    const part = snappyBlock(data.subarray(p, p + len), maxSize - total);
    total += part.length;
    parts.push(part);
    p += len;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

/**
 * Snappy in snappy-java's framing (what the Java client writes), in blocks
 * of `blockSize` input bytes. compress() writes raw snappy; this exists for
 * tools and tests that need the framed form.
 */
export function snappyXerialCompress(data: Buffer, blockSize = 32 * 1024): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let p = 0; p < data.length; p += blockSize) {
    const block = snappy.compress(data.subarray(p, Math.min(data.length, p + blockSize)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- zstd

/**
 * The content size the first zstd frame declares (-1 if none or not a zstd
 * frame), so that a limit is enforced before the decoder allocates it.
 */
function zstdContentSize(data: Buffer): number {
  if (data.length < 6 || data.readUInt32LE(0) !== 0xfd2fb528) return -1;
  const fhd = data[4];
  const fcsFlag = fhd >>> 6;
  const single = (fhd >>> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
  const at = 5 + (single ? 0 : 1) + dictBytes;
  if (fcsBytes === 0 || data.length < at + fcsBytes) return -1;
  switch (fcsBytes) {
    case 1:
      return data[at];
    case 2:
      return data.readUInt16LE(at) + 256;
    case 4:
      return data.readUInt32LE(at);
    default:
      return data.readUInt32LE(at) + data.readUInt32LE(at + 4) * 2 ** 32;
  }
}

/** A synchronous zstd encoder: one complete frame for `data`. */
export type ZstdCompressor = (data: Buffer, level?: number) => Buffer;

type ZlibWithZstd = typeof zlib & {
  zstdCompressSync?: (data: Buffer, opts?: { params?: Record<number, number> }) => Buffer;
  constants: typeof zlib.constants & { ZSTD_c_compressionLevel?: number };
};

function zlibZstd(): ZstdCompressor | null {
  const z = zlib as ZlibWithZstd;
  const fn = z.zstdCompressSync;
  const levelParam = z.constants.ZSTD_c_compressionLevel;
  if (typeof fn !== "function") return null;
  return (data, level) =>
    fn(data, level !== undefined && levelParam !== undefined ? { params: { [levelParam]: level } } : undefined);
}

const builtinZstd = zlibZstd();
let registeredZstd: ZstdCompressor | null = null;

/**
 * Installs (or with null removes) the zstd encoder compress() uses when the
 * runtime's zlib has none. It must return one complete zstd frame.
 */
export function setZstdCompressor(fn: ZstdCompressor | null): void {
  registeredZstd = fn;
}

/** True when compress(CompressionType.Zstd, ...) can work in this process. */
export function zstdCompressionAvailable(): boolean {
  return (registeredZstd ?? builtinZstd) !== null;
}

// ---------------------------------------------------------------- entry points

/** Decompresses `data` written with codec `type`. None returns `data` itself. */
export function decompress(type: CompressionType, data: Buffer, opts: DecompressOptions = {}): Buffer {
  const maxSize = opts.maxSize ?? Number.MAX_SAFE_INTEGER;
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      try {
        return zlib.gunzipSync(
          data,
          opts.maxSize !== undefined ? { maxOutputLength: Math.max(1, maxSize) } : undefined,
        );
      } catch (e) {
        if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge("gzip", maxSize);
        throw corrupt("gzip", e);
      }
    case CompressionType.Snappy:
      try {
        return snappyDecompress(data, maxSize);
      } catch (e) {
        if (e instanceof Error && /too big/.test(e.message)) throw tooLarge("snappy", maxSize);
        throw corrupt("snappy", e);
      }
    case CompressionType.Lz4:
      return lz4DecompressFrame(data, maxSize);
    case CompressionType.Zstd: {
      let out: Buffer;
      const declared = zstdContentSize(data);
      if (declared > maxSize) throw tooLarge("zstd", maxSize);
      try {
        out = asBuffer(fzstdDecompress(data));
      } catch (e) {
        throw corrupt("zstd", e);
      }
      if (out.length > maxSize) throw tooLarge("zstd", maxSize);
      return out;
    }
    default:
      throw unknownCodec(type);
  }
}

/** Compresses `data` with codec `type`. None returns `data` itself. */
export function compress(type: CompressionType, data: Buffer, opts: CompressOptions = {}): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return zlib.gzipSync(data, opts.level !== undefined ? { level: opts.level } : undefined);
    case CompressionType.Snappy:
      return snappy.compress(data);
    case CompressionType.Lz4:
      return lz4CompressFrame(data);
    case CompressionType.Zstd: {
      const fn = registeredZstd ?? builtinZstd;
      if (!fn) {
        throw new RecordsError(
          "MR_RECORDS_UNSUPPORTED_CODEC",
          UNSUPPORTED_COMPRESSION_TYPE,
          "zstd compression needs Node.js >= 22.15 (zlib zstd) or an encoder installed with setZstdCompressor(); " +
            "zstd decompression works everywhere",
        );
      }
      return fn(data, opts.level);
    }
    default:
      throw unknownCodec(type);
  }
}
