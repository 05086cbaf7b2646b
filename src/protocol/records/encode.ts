/**
 * Encoder for Kafka record batches v2 (magic 2). Re-exported by records.ts,
 * which is where callers should import it from; it lives in its own module
 * so that legacy.ts can use it without an import cycle.
 *
 * The batch is sized in one pass and written in a second into a single
 * buffer: strings are encoded straight into it, Buffers copied once. With a
 * codec, the records section is written to a scratch buffer, compressed, and
 * the result copied after the header (one extra copy, which the codecs'
 * APIs make unavoidable).
 */
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  CompressionType,
  CONTROL_MASK,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT,
  RecordsError,
  TimestampType,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from "./batch.js";
import { compress } from "./compression.js";
import { crc32c } from "./crc32c.js";
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from "./varint.js";

const INVALID_RECORD = 87;

/** Bytes for a key, value or header value: a Buffer/Uint8Array, or a string written as UTF-8. */
export type Bytes = Buffer | Uint8Array | string;

export interface HeaderInput {
  key: string;
  value?: Bytes | null;
}

export interface RecordInput {
  key?: Bytes | null;
  value?: Bytes | null;
  headers?: readonly HeaderInput[];
  /** Milliseconds since the epoch; defaults to one Date.now() taken for the whole batch. */
  timestamp?: number | bigint;
  /** Offset relative to the batch's base offset; defaults to the record's index. */
  offsetDelta?: number;
}

export interface EncodeBatchOptions {
  records: readonly RecordInput[];
  /** Default 0 (a producer's batches leave offsets to the broker). */
  baseOffset?: bigint;
  /** Default none. */
  compression?: CompressionType;
  /** Codec level (gzip 1-9, zstd 1-22); the codec's default otherwise. */
  compressionLevel?: number;
  /** Default -1 (no idempotence). */
  producerId?: bigint;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  /** Sets the transactional bit. */
  transactional?: boolean;
  /** Sets the control bit (transaction markers; written by brokers, not producers). */
  control?: boolean;
  /** Default -1, as producers send it; the broker stamps its own. */
  partitionLeaderEpoch?: number;
  /** Default CreateTime. */
  timestampType?: TimestampType;
  /** Overrides the computed max timestamp (the append time for LogAppendTime batches). */
  maxTimestamp?: number | bigint;
  /** Overrides the computed last offset delta (kept by compaction when it drops the last records). */
  lastOffsetDelta?: number;
}

function byteLength(b: Bytes | null | undefined): number {
  if (b === null || b === undefined) return -1;
  return typeof b === "string" ? Buffer.byteLength(b, "utf8") : b.byteLength;
}

function writeBytes(buf: Buffer, pos: number, b: Bytes, len: number): number {
  if (typeof b === "string") {
    if (len > 0) buf.write(b, pos, len, "utf8");
  } else if (len > 0) {
    buf.set(b, pos);
  }
  return pos + len;
}

function toMillis(t: number | bigint): number {
  const n = typeof t === "bigint" ? Number(t) : t;
  if (!Number.isSafeInteger(n)) {
    throw new RecordsError(
      "MR_RECORDS_INVALID",
      INVALID_RECORD,
      `timestamp ${String(t)} is not an integer number of milliseconds`,
    );
  }
  return n;
}

/**
 * Writes the records of a batch into buf[pos, ...), given the sizes computed
 * by the sizing pass; returns the position after them.
 */
function writeRecords(
  buf: Buffer,
  pos: number,
  records: readonly RecordInput[],
  timestamps: Float64Array,
  baseTs: number,
  bodyLens: Int32Array,
  keyLens: Int32Array,
  valueLens: Int32Array,
  headerLens: number[],
): number {
  let h = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeVarint(buf, pos, bodyLens[i]);
    buf[pos++] = 0; // attributes (unused)
    pos = writeVarlong(buf, pos, timestamps[i] - baseTs);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    const kl = keyLens[i];
    pos = writeVarint(buf, pos, kl);
    if (kl > 0) pos = writeBytes(buf, pos, r.key as Bytes, kl);
    const vl = valueLens[i];
    pos = writeVarint(buf, pos, vl);
    if (vl > 0) pos = writeBytes(buf, pos, r.value as Bytes, vl);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0;
      continue;
    }
    pos = writeVarint(buf, pos, headers.length);
    for (const hd of headers) {
      const hkl = headerLens[h++];
      pos = writeVarint(buf, pos, hkl);
      pos = writeBytes(buf, pos, hd.key, hkl);
      const hvl = headerLens[h++];
      pos = writeVarint(buf, pos, hvl);
      if (hvl > 0) pos = writeBytes(buf, pos, hd.value as Bytes, hvl);
    }
  }
  return pos;
}

/** Encodes one v2 record batch with a correct CRC32C. */
export function encodeBatch(opts: EncodeBatchOptions): Buffer {
  const records = opts.records;
  const n = records.length;
  if (n === 0) throw new RecordsError("MR_RECORDS_EMPTY", INVALID_RECORD, "a record batch needs at least one record");
  const compression = opts.compression ?? CompressionType.None;

  // Pass 1: timestamps and sizes.
  let now = -1;
  const timestamps = new Float64Array(n);
  const bodyLens = new Int32Array(n);
  const keyLens = new Int32Array(n);
  const valueLens = new Int32Array(n);
  const headerLens: number[] = [];
  let maxTs = -1;
  let maxDelta = -1;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    let ts: number;
    if (r.timestamp === undefined) {
      if (now < 0) now = Date.now();
      ts = now;
    } else {
      ts = toMillis(r.timestamp);
    }
    timestamps[i] = ts;
    if (ts > maxTs) maxTs = ts;
  }
  const baseTs = timestamps[0];
  let recordsSize = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const delta = r.offsetDelta ?? i;
    if (delta > maxDelta) maxDelta = delta;
    const kl = byteLength(r.key);
    const vl = byteLength(r.value);
    keyLens[i] = kl;
    valueLens[i] = vl;
    let body =
      1 +
      sizeOfVarlong(timestamps[i] - baseTs) +
      sizeOfVarint(delta) +
      sizeOfVarint(kl) +
      Math.max(kl, 0) +
      sizeOfVarint(vl) +
      Math.max(vl, 0);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      body += 1;
    } else {
      body += sizeOfVarint(headers.length);
      for (const hd of headers) {
        const hkl = Buffer.byteLength(hd.key, "utf8");
        const hvl = byteLength(hd.value);
        headerLens.push(hkl, hvl);
        body += sizeOfVarint(hkl) + hkl + sizeOfVarint(hvl) + Math.max(hvl, 0);
      }
    }
    bodyLens[i] = body;
    recordsSize += sizeOfVarint(body) + body;
  }

  // Pass 2: write.
  let batch: Buffer;
  if (compression === CompressionType.None) {
    batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + recordsSize);
    const end = writeRecords(
      batch,
      RECORD_BATCH_OVERHEAD,
      records,
      timestamps,
      baseTs,
      bodyLens,
      keyLens,
      valueLens,
      headerLens,
    );
    if (end !== batch.length) throw new Error(`internal: record batch sized ${batch.length} but written ${end}`);
  } else {
    const raw = Buffer.allocUnsafe(recordsSize);
    const end = writeRecords(raw, 0, records, timestamps, baseTs, bodyLens, keyLens, valueLens, headerLens);
    if (end !== raw.length) throw new Error(`internal: records sized ${raw.length} but written ${end}`);
    const packed = compress(compression, raw, { level: opts.compressionLevel });
    batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + packed.length);
    batch.set(packed, RECORD_BATCH_OVERHEAD);
  }

  // Header.
  const tsType = opts.timestampType ?? TimestampType.CreateTime;
  let attributes = compression & 0x07;
  if (tsType === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (opts.transactional) attributes |= TRANSACTIONAL_MASK;
  if (opts.control) attributes |= CONTROL_MASK;
  batch.writeBigInt64BE(opts.baseOffset ?? 0n, BASE_OFFSET);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH);
  batch.writeInt32BE(opts.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH);
  batch.writeInt8(2, MAGIC);
  batch.writeInt16BE(attributes, ATTRIBUTES);
  batch.writeInt32BE(opts.lastOffsetDelta ?? maxDelta, LAST_OFFSET_DELTA);
  batch.writeBigInt64BE(BigInt(baseTs), BASE_TIMESTAMP);
  batch.writeBigInt64BE(BigInt(opts.maxTimestamp === undefined ? maxTs : toMillis(opts.maxTimestamp)), MAX_TIMESTAMP);
  batch.writeBigInt64BE(opts.producerId ?? -1n, PRODUCER_ID);
  batch.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH);
  batch.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE);
  batch.writeInt32BE(n, RECORD_COUNT);
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES, batch.length), CRC);
  return batch;
}
