/**
 * The consumer protocol's embedded formats (Kafka's ConsumerProtocol), carried
 * as opaque bytes by JoinGroup (subscription) and SyncGroup/DescribeGroups
 * (assignment) when the group's protocol type is "consumer":
 *
 *   Subscription: version int16, topics [string], userData nullable bytes,
 *                 ownedPartitions [{topic string, partitions [int32]}] (v1+),
 *                 generationId int32 (v2+), rackId nullable string (v3+)
 *   Assignment:   version int16, [{topic string, partitions [int32]}],
 *                 userData nullable bytes
 *
 * All of it is the non-flexible encoding (int16 string lengths, int32 array
 * lengths). Decoders read the v0 prefix, which every later version extends
 * only at the end, as Kafka's own deserializers tolerate.
 */
import { ProtocolError, Reader, Writer } from "./primitives.js";

export const CONSUMER_PROTOCOL_TYPE = "consumer";

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerAssignment {
  version: number;
  partitions: TopicPartitions[];
  userData: Buffer | null;
}

export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartitions[];
}

function writeTopicPartitions(w: Writer, list: TopicPartitions[]): void {
  w.arrayLength(list.length, false);
  for (const tp of list) {
    w.nullableString(tp.topic, false);
    w.arrayLength(tp.partitions.length, false);
    for (const p of tp.partitions) w.int32(p);
  }
}

function readTopicPartitions(r: Reader): TopicPartitions[] {
  const n = r.arrayLength(false);
  if (n < 0) return [];
  const out: TopicPartitions[] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string(false);
    const m = r.arrayLength(false);
    const partitions: number[] = [];
    for (let j = 0; j < m; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return out;
}

/** Encodes an Assignment (version 0 unless given). */
export function encodeAssignment(partitions: TopicPartitions[], userData: Buffer | null = null, version = 0): Buffer {
  const w = new Writer(64);
  w.int16(version);
  writeTopicPartitions(w, partitions);
  w.nullableBytes(userData, false);
  return w.toBuffer();
}

/**
 * Decodes an Assignment. Empty bytes (a member without an assignment yet, or
 * a group outside Stable in DescribeGroups) decode to no partitions.
 */
export function decodeAssignment(bytes: Buffer): ConsumerAssignment {
  if (bytes.length === 0) return { version: 0, partitions: [], userData: null };
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    const partitions = readTopicPartitions(r);
    const userData = r.remaining() >= 4 ? r.nullableBytes(false) : null;
    return { version, partitions, userData: userData === null ? null : Buffer.from(userData) };
  } catch (e) {
    throw new ProtocolError(
      "MR_PROTOCOL_CONSUMER_ASSIGNMENT",
      `not a consumer protocol assignment: ${(e as Error).message}`,
    );
  }
}

/** Encodes a Subscription: version 0 (topics, userData) or 1 (plus owned partitions). */
export function encodeSubscription(
  topics: string[],
  opts: { userData?: Buffer | null; ownedPartitions?: TopicPartitions[]; version?: 0 | 1 } = {},
): Buffer {
  const version = opts.version ?? 0;
  const w = new Writer(64);
  w.int16(version);
  w.arrayLength(topics.length, false);
  for (const t of topics) w.nullableString(t, false);
  w.nullableBytes(opts.userData ?? null, false);
  if (version >= 1) writeTopicPartitions(w, opts.ownedPartitions ?? []);
  return w.toBuffer();
}

/** Decodes a Subscription's topics, userData and (v1+) owned partitions. */
export function decodeSubscription(bytes: Buffer): ConsumerSubscription {
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    const n = r.arrayLength(false);
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string(false));
    const userData = r.nullableBytes(false);
    const ownedPartitions = version >= 1 && r.remaining() >= 4 ? readTopicPartitions(r) : [];
    return { version, topics, userData: userData === null ? null : Buffer.from(userData), ownedPartitions };
  } catch (e) {
    throw new ProtocolError(
      "MR_PROTOCOL_CONSUMER_SUBSCRIPTION",
      `not a consumer protocol subscription: ${(e as Error).message}`,
    );
  }
}

/** The subscribed topics, or null when the bytes are not a consumer subscription (the coordinator's lenient read). */
export function parseSubscribedTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 6 || metadata.readInt16BE(0) < 0 || metadata.readInt32BE(2) < 0) return null;
  try {
    return decodeSubscription(metadata).topics;
  } catch {
    return null;
  }
}
