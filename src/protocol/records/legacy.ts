/**
 * Kafka's legacy message formats, magic 0 and magic 1 ("message sets"), as
 * sent by Produce v0-v2 clients and stored by brokers before 0.11:
 *
 *   offset int64 | messageSize int32 | crc uint32 | magic int8 | attributes int8 |
 *   [timestamp int64, magic 1 only] | key bytes (int32 length, -1 = null) |
 *   value bytes (int32 length, -1 = null)
 *
 * The CRC32 (IEEE) covers magic to the end of the message. Attributes bits
 * 0-2 are the codec (none, gzip, snappy, lz4; zstd does not exist before
 * magic 2) and bit 3 (magic 1) the timestamp type.
 *
 * A compressed message is a wrapper whose value is a compressed message set
 * (the inner messages, themselves uncompressed). In magic 0 the inner
 * offsets are absolute; in magic 1 they are relative (0..n-1) and the
 * wrapper carries the absolute offset of the last inner message (a
 * producer's wrapper has offset 0, and its inner offsets stay relative). A magic 1
 * wrapper with LogAppendTime gives its timestamp to every inner message.
 *
 * Errors are RecordsError: CRC failures, truncation and sizes that do not
 * add up are CORRUPT_MESSAGE (2); structurally wrong messages (nested
 * compression, empty or null wrappers, bad lengths) are INVALID_RECORD (87);
 * a zstd codec id is UNSUPPORTED_COMPRESSION_TYPE (76).
 */
import {
  type BatchHeader,
  CompressionType,
  corruptRecords,
  invalidRecords,
  RecordsError,
  TimestampType,
} from "./batch.js";
import { decompress } from "./compression.js";
import { crc32 } from "./crc32.js";
import { encodeBatch, type RecordInput } from "./encode.js";
import type { DecodedBatch, DecodeOptions, KafkaRecord } from "./records.js";

const CORRUPT_MESSAGE = 2;
const UNSUPPORTED_COMPRESSION_TYPE = 76;
const INVALID_RECORD = 87;

/** Kafka's NO_TIMESTAMP: what magic 0 messages carry, having no timestamp. */
export const NO_TIMESTAMP = -1n;

// Field positions within one message.
export const LEGACY_OFFSET = 0;
export const LEGACY_SIZE = 8;
export const LEGACY_CRC = 12;
export const LEGACY_MAGIC = 16;
export const LEGACY_ATTRIBUTES = 17;
export const LEGACY_TIMESTAMP = 18;
/** offset + messageSize. */
export const LEGACY_LOG_OVERHEAD = 12;
/** Smallest messageSize: crc, magic, attributes, [timestamp], key and value lengths. */
export const MESSAGE_OVERHEAD_V0 = 14;
export const MESSAGE_OVERHEAD_V1 = 22;

const CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;

/** One message as it sits in a message set (a plain message or a compressed wrapper). */
export interface LegacyMessage {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  /** NO_TIMESTAMP (-1) for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  crc: number;
  /** Byte position in the buffer it was read from. */
  position: number;
  /** Bytes it takes, LEGACY_LOG_OVERHEAD + messageSize. */
  size: number;
}

export interface LegacyOptions {
  /** Check CRCs (default true). */
  verifyCrc?: boolean;
  /**
   * Ignore a partial message at the end of the buffer, as a Fetch may
   * return one (default false: a produce request's message set must be whole).
   */
  allowPartial?: boolean;
  /** Refuse wrappers whose value decompresses to more than this many bytes. */
  maxDecompressedSize?: number;
}

/** True when the buffer starts with a legacy message (magic 0 or 1). */
export function isLegacyMessageSet(buf: Buffer, pos = 0): boolean {
  if (buf.length < pos + LEGACY_MAGIC + 1) return false;
  const m = buf[pos + LEGACY_MAGIC];
  return m === 0 || m === 1;
}

/** Reads the message at `pos`, which must end by `end`. */
function readMessage(buf: Buffer, pos: number, end: number, verifyCrc: boolean): LegacyMessage {
  const remaining = end - pos;
  if (remaining < LEGACY_LOG_OVERHEAD + MESSAGE_OVERHEAD_V0) {
    throw corruptRecords("MR_RECORDS_TRUNCATED", `truncated message: ${remaining} bytes at ${pos}`);
  }
  const messageSize = buf.readInt32BE(pos + LEGACY_SIZE);
  const size = LEGACY_LOG_OVERHEAD + messageSize;
  if (messageSize < MESSAGE_OVERHEAD_V0) {
    throw corruptRecords(
      "MR_RECORDS_TRUNCATED",
      `message size ${messageSize} at ${pos} is below the minimum of ${MESSAGE_OVERHEAD_V0}`,
    );
  }
  if (size > remaining) {
    throw corruptRecords("MR_RECORDS_TRUNCATED", `message of ${size} bytes at ${pos} does not fit ${remaining} bytes`);
  }
  const magic = buf[pos + LEGACY_MAGIC];
  if (magic !== 0 && magic !== 1) {
    throw new RecordsError(
      "MR_RECORDS_MAGIC",
      CORRUPT_MESSAGE,
      `message magic ${magic} at ${pos} where 0 or 1 was expected`,
    );
  }
  if (magic === 1 && messageSize < MESSAGE_OVERHEAD_V1) {
    throw corruptRecords(
      "MR_RECORDS_TRUNCATED",
      `message size ${messageSize} at ${pos} is below the minimum of ${MESSAGE_OVERHEAD_V1}`,
    );
  }
  const stored = buf.readUInt32BE(pos + LEGACY_CRC);
  if (verifyCrc && crc32(buf, pos + LEGACY_MAGIC, pos + size) !== stored) {
    throw corruptRecords("MR_RECORDS_CRC", `message at ${pos} fails its CRC32`);
  }
  const attributes = buf[pos + LEGACY_ATTRIBUTES];
  const codec = attributes & CODEC_MASK;
  if (codec > CompressionType.Lz4) {
    throw new RecordsError(
      "MR_RECORDS_UNKNOWN_CODEC",
      UNSUPPORTED_COMPRESSION_TYPE,
      `message at ${pos} uses codec ${codec}, which magic ${magic} does not support`,
    );
  }
  let p = pos + (magic === 0 ? LEGACY_TIMESTAMP : LEGACY_TIMESTAMP + 8);
  const timestamp = magic === 0 ? NO_TIMESTAMP : buf.readBigInt64BE(pos + LEGACY_TIMESTAMP);
  const msgEnd = pos + size;

  const keyLen = buf.readInt32BE(p);
  p += 4;
  let key: Buffer | null = null;
  if (keyLen >= 0) {
    if (p + keyLen + 4 > msgEnd)
      throw corruptRecords("MR_RECORDS_TRUNCATED", `message at ${pos}: key of ${keyLen} bytes runs past the message`);
    key = buf.subarray(p, p + keyLen);
    p += keyLen;
  } else if (keyLen !== -1) {
    throw invalidRecords(`message at ${pos}: key length ${keyLen}`);
  }
  const valueLen = buf.readInt32BE(p);
  p += 4;
  let value: Buffer | null = null;
  if (valueLen >= 0) {
    if (p + valueLen !== msgEnd) {
      throw corruptRecords(
        "MR_RECORDS_TRUNCATED",
        `message at ${pos}: value of ${valueLen} bytes does not end the message (${msgEnd - p} left)`,
      );
    }
    value = buf.subarray(p, p + valueLen);
  } else if (valueLen !== -1 || p !== msgEnd) {
    throw corruptRecords(
      "MR_RECORDS_TRUNCATED",
      `message at ${pos}: value length ${valueLen} with ${msgEnd - p} bytes left`,
    );
  }
  return {
    offset: buf.readBigInt64BE(pos + LEGACY_OFFSET),
    magic,
    attributes,
    compression: codec as CompressionType,
    timestampType:
      magic === 1 && attributes & TIMESTAMP_TYPE_MASK ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    timestamp,
    key,
    value,
    crc: stored,
    position: pos,
    size,
  };
}

/**
 * The top-level messages of a message set (wrappers are not opened), with
 * sizes, magic and CRCs validated.
 */
export function scanMessageSet(buf: Buffer, opts: LegacyOptions = {}): LegacyMessage[] {
  const verify = opts.verifyCrc ?? true;
  const out: LegacyMessage[] = [];
  if (buf.length === 0 && !opts.allowPartial)
    throw new RecordsError("MR_RECORDS_EMPTY", INVALID_RECORD, "empty message set");
  let pos = 0;
  while (pos < buf.length) {
    if (opts.allowPartial) {
      const remaining = buf.length - pos;
      if (remaining < LEGACY_LOG_OVERHEAD) break;
      if (LEGACY_LOG_OVERHEAD + buf.readInt32BE(pos + LEGACY_SIZE) > remaining) break;
    }
    const m = readMessage(buf, pos, buf.length, verify);
    out.push(m);
    pos += m.size;
  }
  return out;
}

/**
 * The messages a top-level message stands for: itself if plain, else the
 * inner messages of the wrapper with absolute offsets and effective
 * timestamps.
 */
export function expandMessage(m: LegacyMessage, opts: LegacyOptions = {}): LegacyMessage[] {
  if (m.compression === CompressionType.None) return [m];
  if (m.value === null) throw invalidRecords(`compressed message at ${m.position} has a null value`);
  const inner = decompress(m.compression, m.value, { maxSize: opts.maxDecompressedSize });
  const verify = opts.verifyCrc ?? true;
  const messages: LegacyMessage[] = [];
  let pos = 0;
  while (pos < inner.length) {
    const im = readMessage(inner, pos, inner.length, verify);
    if (im.compression !== CompressionType.None) {
      throw invalidRecords(`compressed message at ${m.position} holds a compressed inner message`);
    }
    messages.push(im);
    pos += im.size;
  }
  if (messages.length === 0) throw invalidRecords(`compressed message at ${m.position} holds no messages`);
  if (m.magic === 1) {
    // A negative base (a producer's wrapper, offset 0) leaves the relative
    // offsets as they are, as the Java client does.
    const base = m.offset - messages[messages.length - 1].offset;
    const appendTime = m.timestampType === TimestampType.LogAppendTime;
    for (const im of messages) {
      if (base >= 0n) im.offset = base + im.offset;
      if (appendTime) {
        im.timestamp = m.timestamp;
        im.timestampType = TimestampType.LogAppendTime;
      }
    }
  }
  return messages;
}

/**
 * Every message of a message set, wrappers opened: what a consumer sees,
 * with absolute offsets.
 */
export function decodeMessageSet(buf: Buffer, opts: LegacyOptions = {}): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  for (const m of scanMessageSet(buf, opts)) {
    for (const im of expandMessage(m, opts)) out.push(im);
  }
  return out;
}

/**
 * Decodes the top-level legacy message at `pos` into the shape of a v2
 * DecodedBatch (header.magic is 0 or 1), for decodeRecordSet. The header's
 * producer fields are -1 and its partition leader epoch -1, as Kafka reports
 * them for legacy batches.
 */
export function decodeLegacyEntry(buf: Buffer, pos: number, opts: DecodeOptions = {}): DecodedBatch {
  const verify = opts.verifyCrc ?? true;
  const top = readMessage(buf, pos, buf.length, verify);
  const messages = expandMessage(top, { verifyCrc: verify, maxDecompressedSize: opts.maxDecompressedSize });
  const records: KafkaRecord[] = messages.map((m) => ({
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key,
    value: m.value,
    headers: [],
    attributes: 0,
  }));
  const first = messages[0];
  const last = messages[messages.length - 1];
  let maxTs = NO_TIMESTAMP;
  for (const m of messages) if (m.timestamp > maxTs) maxTs = m.timestamp;
  const header: BatchHeader = {
    baseOffset: first.offset,
    batchLength: top.size - LEGACY_LOG_OVERHEAD,
    partitionLeaderEpoch: -1,
    magic: top.magic,
    crc: top.crc,
    attributes: top.attributes,
    lastOffsetDelta: Number(last.offset - first.offset),
    baseTimestamp: first.timestamp,
    maxTimestamp: top.compression !== CompressionType.None && top.magic === 1 ? top.timestamp : maxTs,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: messages.length,
  };
  return {
    header,
    records,
    isControl: false,
    isTransactional: false,
    compression: top.compression,
    timestampType: top.timestampType,
    size: top.size,
  };
}

export interface ConvertOptions extends LegacyOptions {
  /**
   * Codec of the v2 batches: "preserve" (default) keeps each wrapper's codec
   * (plain messages give uncompressed batches); a CompressionType forces one
   * codec and one batch for the whole message set.
   */
  compression?: CompressionType | "preserve";
  /** Codec level for recompression. */
  compressionLevel?: number;
  /**
   * Offset of the first batch (default 0). Records are numbered densely from
   * it, since the broker assigns offsets on append anyway; see keepOffsets.
   */
  baseOffset?: bigint;
  /** Keep the messages' own (absolute) offsets instead, for converting stored data. */
  keepOffsets?: boolean;
}

interface Group {
  compression: CompressionType;
  messages: LegacyMessage[];
}

/**
 * Converts a whole legacy message set into v2 batches with the same keys,
 * values and timestamps (magic 0 messages get NO_TIMESTAMP, -1) and no
 * headers. With compression "preserve" (the default), consecutive top-level
 * messages with the same codec become one batch with that codec: a producer's
 * message set, which uses one codec, becomes one batch. The batches are
 * CreateTime; a LogAppendTime wrapper's time is carried as each record's
 * timestamp. Returns the batches concatenated.
 */
export function convertToV2(buf: Buffer, opts: ConvertOptions = {}): Buffer {
  const top = scanMessageSet(buf, opts);
  if (top.length === 0) throw new RecordsError("MR_RECORDS_EMPTY", INVALID_RECORD, "empty message set");
  const forced = opts.compression !== undefined && opts.compression !== "preserve" ? opts.compression : null;
  const groups: Group[] = [];
  for (const m of top) {
    const codec = forced ?? m.compression;
    const messages = expandMessage(m, opts);
    const lastGroup = groups[groups.length - 1];
    if (lastGroup && lastGroup.compression === codec) {
      for (const im of messages) lastGroup.messages.push(im);
    } else {
      groups.push({ compression: codec, messages });
    }
  }
  const batches: Buffer[] = [];
  let next = opts.baseOffset ?? 0n;
  for (const g of groups) {
    const base = opts.keepOffsets ? g.messages[0].offset : next;
    const records: RecordInput[] = g.messages.map((m, i) => ({
      key: m.key,
      value: m.value,
      timestamp: m.timestamp,
      offsetDelta: opts.keepOffsets ? Number(m.offset - base) : i,
    }));
    if (opts.keepOffsets) {
      for (let i = 0; i < records.length; i++) {
        const d = records[i].offsetDelta as number;
        if (d > 0x7fffffff || (i > 0 && d <= (records[i - 1].offsetDelta as number))) {
          throw invalidRecords(`message offsets do not increase within int32 deltas at offset ${g.messages[i].offset}`);
        }
      }
    }
    batches.push(
      encodeBatch({
        records,
        baseOffset: base,
        compression: g.compression,
        compressionLevel: opts.compressionLevel,
      }),
    );
    next += BigInt(g.messages.length);
  }
  return batches.length === 1 ? batches[0] : Buffer.concat(batches);
}
