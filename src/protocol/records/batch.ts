/**
 * Kafka record batch v2 (magic 2): header layout, validation and the few
 * in-place rewrites the broker does (base offset, log-append time). The broker
 * stores batches as received; nothing here re-encodes records.
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
 *   crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
 *   maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
 *   recordCount int32 | records...
 *
 * The CRC32C covers everything from attributes to the end of the batch.
 */
import { MillraceError } from "../../errors.js";
import { crc32c } from "./crc32c.js";

export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORD_COUNT = 57;
/** Size of the batch header; a batch is at least this long. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

/** Raised for records that fail validation; `kafkaCode` is the protocol error to answer with. */
export class RecordsError extends MillraceError {
  readonly kafkaCode: number;
  constructor(code: string, kafkaCode: number, message: string) {
    super(code, message);
    this.kafkaCode = kafkaCode;
  }
}

// Kafka error codes used here (the full table lives in protocol/errors.ts).
const CORRUPT_MESSAGE = 2;
const MESSAGE_TOO_LARGE = 10;
const INVALID_RECORD = 87;
const UNSUPPORTED_FOR_MESSAGE_FORMAT = 43;

/** A RecordsError answered with CORRUPT_MESSAGE. */
export function corruptRecords(code: string, message: string): RecordsError {
  return new RecordsError(code, CORRUPT_MESSAGE, message);
}

/** A RecordsError MR_RECORDS_INVALID answered with INVALID_RECORD. */
export function invalidRecords(message: string): RecordsError {
  return new RecordsError("MR_RECORDS_INVALID", INVALID_RECORD, message);
}

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** A batch found by scanBatches: where it sits in the buffer, with the header fields the log needs. */
export interface ScannedBatch {
  /** byte position of the batch in the scanned buffer */
  position: number;
  /** total size in bytes, LOG_OVERHEAD + batchLength */
  size: number;
  lastOffsetDelta: number;
  recordCount: number;
  attributes: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + MAGIC),
    crc: buf.readUInt32BE(pos + CRC),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA),
    recordCount: buf.readInt32BE(pos + RECORD_COUNT),
    ...readBatchFields(buf, pos),
  };
}

/** The header fields a ScannedBatch shares with BatchHeader, after the counts. */
function readBatchFields(buf: Buffer, pos: number) {
  return {
    attributes: buf.readInt16BE(pos + ATTRIBUTES),
    baseTimestamp: buf.readBigInt64BE(pos + BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE),
  };
}

/**
 * Checks the frame of the v2 batch at `pos` (whole header, magic 2, a length
 * that fits the buffer) and returns its size in the buffer.
 */
export function checkBatchFrame(buf: Buffer, pos: number): number {
  const remaining = buf.length - pos;
  if (remaining < RECORD_BATCH_OVERHEAD) {
    throw corruptRecords("MR_RECORDS_TRUNCATED", `truncated record batch: ${remaining} bytes at ${pos}`);
  }
  const magic = buf.readInt8(pos + MAGIC);
  if (magic !== 2) {
    throw new RecordsError(
      "MR_RECORDS_MAGIC",
      UNSUPPORTED_FOR_MESSAGE_FORMAT,
      `record batch magic ${magic} where 2 was expected`,
    );
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
  const size = batchLength + LOG_OVERHEAD;
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD || size > remaining) {
    throw corruptRecords("MR_RECORDS_TRUNCATED", `record batch length ${batchLength} does not fit ${remaining} bytes`);
  }
  return size;
}

/** The magic byte of the message set or batch at `pos` (0, 1 or 2), or -1 if too short. */
export function magicAt(buf: Buffer, pos = 0): number {
  return buf.length >= pos + MAGIC + 1 ? buf.readInt8(pos + MAGIC) : -1;
}

/** True when the batch at `pos` carries a correct CRC32C. */
export function batchCrcValid(buf: Buffer, pos: number, size: number): boolean {
  return crc32c(buf, pos + ATTRIBUTES, pos + size) === buf.readUInt32BE(pos + CRC);
}

export interface ScanOptions {
  /** Largest accepted batch (message.max.bytes / max.message.bytes). */
  maxBatchSize?: number;
  /** Check CRCs (default true). */
  verifyCrc?: boolean;
}

/**
 * Validates a buffer that must hold only whole v2 batches (a produce request's
 * records): sizes, magic, CRC32C, record counts. Throws RecordsError with the
 * Kafka error to answer with; returns where each batch sits.
 */
export function scanBatches(buf: Buffer, opts: ScanOptions = {}): ScannedBatch[] {
  const verify = opts.verifyCrc ?? true;
  const out: ScannedBatch[] = [];
  let pos = 0;
  if (buf.length === 0) throw new RecordsError("MR_RECORDS_EMPTY", INVALID_RECORD, "empty record set");
  while (pos < buf.length) {
    const size = checkBatchFrame(buf, pos);
    if (opts.maxBatchSize !== undefined && size > opts.maxBatchSize) {
      throw new RecordsError(
        "MR_RECORDS_TOO_LARGE",
        MESSAGE_TOO_LARGE,
        `record batch of ${size} bytes exceeds the maximum of ${opts.maxBatchSize}`,
      );
    }
    if (verify && !batchCrcValid(buf, pos, size)) {
      throw new RecordsError("MR_RECORDS_CRC", CORRUPT_MESSAGE, `record batch at ${pos} fails its CRC32C`);
    }
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
    const recordCount = buf.readInt32BE(pos + RECORD_COUNT);
    if (
      recordCount < 0 ||
      lastOffsetDelta < 0 ||
      (recordCount === 0 && (buf.readInt16BE(pos + ATTRIBUTES) & CONTROL_MASK) === 0)
    ) {
      throw invalidRecords(`record batch with ${recordCount} records and last offset delta ${lastOffsetDelta}`);
    }
    out.push({
      position: pos,
      size,
      lastOffsetDelta,
      recordCount,
      ...readBatchFields(buf, pos),
    });
    pos += size;
  }
  return out;
}

/** Rewrites the base offset of the batch at `pos` (not covered by the CRC). */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, pos + BASE_OFFSET);
}

/** Rewrites the partition leader epoch of the batch at `pos` (not covered by the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH);
}

/**
 * Marks the batch at `pos` as LogAppendTime with the given time as its max
 * timestamp, and recomputes the CRC (these fields are covered by it), as Kafka
 * does for topics with message.timestamp.type=LogAppendTime.
 */
export function setLogAppendTime(buf: Buffer, pos: number, size: number, time: bigint): void {
  const attrs = buf.readInt16BE(pos + ATTRIBUTES);
  buf.writeInt16BE(attrs | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES);
  buf.writeBigInt64BE(time, pos + MAX_TIMESTAMP);
  buf.writeUInt32BE(crc32c(buf, pos + ATTRIBUTES, pos + size), pos + CRC);
}
