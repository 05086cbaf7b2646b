/**
 * Kafka records: decoding v2 record batches (magic 2) into records, decoding
 * the record sets a Fetch returns, and (re-exported from ./encode.ts)
 * encoding batches.
 *
 *   record: length varint | attributes int8 | timestampDelta varlong |
 *           offsetDelta varint | keyLength varint | key | valueLength varint |
 *           value | headerCount varint | [headerKeyLength varint | headerKey |
 *           headerValueLength varint | headerValue]*
 *
 * Decoded keys, values and header values are views (subarray), not copies:
 * into `buf` itself for uncompressed batches, into the decompressed bytes
 * otherwise. Copy them if `buf` is going to be reused.
 */
import {
  BATCH_LENGTH,
  batchCrcValid,
  type BatchHeader,
  CompressionType,
  COMPRESSION_MASK,
  CONTROL_MASK,
  LOG_OVERHEAD,
  MAGIC,
  readBatchHeader,
  RECORD_BATCH_OVERHEAD,
  RecordsError,
  TimestampType,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
  checkBatchFrame,
  corruptRecords,
  invalidRecords,
} from "./batch.js";
import { decompress } from "./compression.js";
import { decodeLegacyEntry } from "./legacy.js";
import { type Cursor, readVarint, readVarlongNumber } from "./varint.js";

export { encodeBatch } from "./encode.js";
export type { Bytes, EncodeBatchOptions, HeaderInput, RecordInput } from "./encode.js";

const CORRUPT_MESSAGE = 2;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record of a v2 batch (the Java client's Record; named so as not to shadow TypeScript's Record<K, V>). */
export interface KafkaRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** The record's own attributes byte (unused by Kafka so far: 0). */
  attributes: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: KafkaRecord[];
  /** A control batch (transaction markers); see controlRecordType. */
  isControl: boolean;
  isTransactional: boolean;
  compression: CompressionType;
  timestampType: TimestampType;
  /** Bytes the batch takes in the buffer it was decoded from (LOG_OVERHEAD + batchLength). */
  size: number;
}

export interface DecodeOptions {
  /** Check the batch CRC (default true). */
  verifyCrc?: boolean;
  /** Refuse batches whose records decompress to more than this many bytes. */
  maxDecompressedSize?: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Parses `count` records from data[start, end). Offsets and timestamps are
 * computed in numbers when the bases are safe integers, so each record costs
 * one BigInt for each instead of two.
 */
function decodeRecords(
  data: Buffer,
  start: number,
  end: number,
  count: number,
  baseOffset: bigint,
  baseTimestamp: bigint,
  logAppendTime: bigint | null,
): KafkaRecord[] {
  const out: KafkaRecord[] = [];
  const cur: Cursor = { pos: start };
  const offsetNum = baseOffset <= MAX_SAFE && baseOffset >= MIN_SAFE ? Number(baseOffset) : null;
  const tsNum = baseTimestamp <= MAX_SAFE && baseTimestamp >= MIN_SAFE ? Number(baseTimestamp) : null;
  for (let i = 0; i < count; i++) {
    if (cur.pos >= end) {
      throw corruptRecords("MR_RECORDS_TRUNCATED", `record batch declares ${count} records but holds ${i}`);
    }
    const length = readVarint(data, cur, end);
    const recStart = cur.pos;
    const recEnd = recStart + length;
    if (length < 1 || recEnd > end) {
      throw corruptRecords("MR_RECORDS_TRUNCATED", `record ${i} of ${length} bytes does not fit its batch`);
    }
    const attributes = data[cur.pos++];
    const tsDelta = readVarlongNumber(data, cur, recEnd);
    const offsetDelta = readVarint(data, cur, recEnd);

    let key: Buffer | null = null;
    const keyLen = readVarint(data, cur, recEnd);
    if (keyLen >= 0) {
      if (cur.pos + keyLen > recEnd)
        throw corruptRecords("MR_RECORDS_TRUNCATED", `record ${i}: key runs past the record`);
      key = data.subarray(cur.pos, cur.pos + keyLen);
      cur.pos += keyLen;
    } else if (keyLen !== -1) {
      throw invalidRecords(`record ${i}: key length ${keyLen}`);
    }

    let value: Buffer | null = null;
    const valueLen = readVarint(data, cur, recEnd);
    if (valueLen >= 0) {
      if (cur.pos + valueLen > recEnd)
        throw corruptRecords("MR_RECORDS_TRUNCATED", `record ${i}: value runs past the record`);
      value = data.subarray(cur.pos, cur.pos + valueLen);
      cur.pos += valueLen;
    } else if (valueLen !== -1) {
      throw invalidRecords(`record ${i}: value length ${valueLen}`);
    }

    const headerCount = readVarint(data, cur, recEnd);
    if (headerCount < 0) throw invalidRecords(`record ${i}: header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hkLen = readVarint(data, cur, recEnd);
      if (hkLen < 0) throw invalidRecords(`record ${i}: header key length ${hkLen}`);
      if (cur.pos + hkLen > recEnd)
        throw corruptRecords("MR_RECORDS_TRUNCATED", `record ${i}: header key runs past the record`);
      const hKey = data.toString("utf8", cur.pos, cur.pos + hkLen);
      cur.pos += hkLen;
      const hvLen = readVarint(data, cur, recEnd);
      let hValue: Buffer | null = null;
      if (hvLen >= 0) {
        if (cur.pos + hvLen > recEnd)
          throw corruptRecords("MR_RECORDS_TRUNCATED", `record ${i}: header value runs past the record`);
        hValue = data.subarray(cur.pos, cur.pos + hvLen);
        cur.pos += hvLen;
      } else if (hvLen !== -1) {
        throw invalidRecords(`record ${i}: header value length ${hvLen}`);
      }
      headers.push({ key: hKey, value: hValue });
    }
    if (cur.pos !== recEnd) {
      throw invalidRecords(`record ${i}: expected ${length} bytes but read ${cur.pos - recStart}`);
    }

    const offset = offsetNum !== null ? BigInt(offsetNum + offsetDelta) : baseOffset + BigInt(offsetDelta);
    const timestamp =
      logAppendTime !== null
        ? logAppendTime
        : tsNum !== null
          ? BigInt(tsNum + tsDelta)
          : baseTimestamp + BigInt(tsDelta);
    out.push({ offset, timestamp, key, value, headers, attributes });
  }
  if (cur.pos !== end) {
    throw invalidRecords(`record batch has ${end - cur.pos} bytes after its ${count} records`);
  }
  return out;
}

/**
 * Decodes the v2 batch at `pos`: validates its length, magic and (unless
 * opts.verifyCrc is false) CRC32C, decompresses its records and parses them.
 * LogAppendTime batches give every record the batch's max timestamp, as
 * Kafka's clients do.
 */
export function decodeBatch(buf: Buffer, pos = 0, opts: DecodeOptions = {}): DecodedBatch {
  const size = checkBatchFrame(buf, pos);
  if ((opts.verifyCrc ?? true) && !batchCrcValid(buf, pos, size)) {
    throw corruptRecords("MR_RECORDS_CRC", `record batch at ${pos} fails its CRC32C`);
  }
  const header = readBatchHeader(buf, pos);
  const attributes = header.attributes;
  const compression = (attributes & COMPRESSION_MASK) as CompressionType;
  const timestampType = attributes & TIMESTAMP_TYPE_MASK ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  if (header.recordCount < 0) throw invalidRecords(`record batch with ${header.recordCount} records`);

  let data = buf;
  let start = pos + RECORD_BATCH_OVERHEAD;
  let end = pos + size;
  // Compaction can leave empty batches (no records, no compressed payload).
  if (compression !== CompressionType.None && !(header.recordCount === 0 && start === end)) {
    data = decompress(compression, buf.subarray(start, end), { maxSize: opts.maxDecompressedSize });
    start = 0;
    end = data.length;
  }
  const records = decodeRecords(
    data,
    start,
    end,
    header.recordCount,
    header.baseOffset,
    header.baseTimestamp,
    timestampType === TimestampType.LogAppendTime ? header.maxTimestamp : null,
  );
  return {
    header,
    records,
    isControl: (attributes & CONTROL_MASK) !== 0,
    isTransactional: (attributes & TRANSACTIONAL_MASK) !== 0,
    compression,
    timestampType,
    size,
  };
}

/**
 * Decodes every whole batch in a record set as a Fetch returns it. A
 * partial batch at the end (a fetch may stop mid-batch) is ignored. Entries
 * in the legacy formats (magic 0 and 1) are decoded too, one DecodedBatch
 * per top-level message (header.magic tells them apart).
 */
export function decodeRecordSet(buf: Buffer, opts: DecodeOptions = {}): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (buf.length - pos >= LOG_OVERHEAD) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size > buf.length - pos || buf.length - pos <= MAGIC) break; // partial last batch
    const magic = buf.readInt8(pos + MAGIC);
    if (magic === 2) out.push(decodeBatch(buf, pos, opts));
    else if (magic === 0 || magic === 1) out.push(decodeLegacyEntry(buf, pos, opts));
    else throw new RecordsError("MR_RECORDS_MAGIC", CORRUPT_MESSAGE, `unknown record format magic ${magic} at ${pos}`);
    pos += size;
  }
  return out;
}

/** Control record types (the key of a control batch's record). */
export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
}

/** The type of a control record (its key is version int16 | type int16), or -1 if unreadable. */
export function controlRecordType(record: KafkaRecord): number {
  const k = record.key;
  return k !== null && k.length >= 4 ? k.readInt16BE(2) : -1;
}

/** True for the batch attributes of a control batch. */
export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_MASK) !== 0;
}
