/**
 * The records of `__consumer_offsets`, byte for byte as Kafka writes them.
 *
 * Every key and value is a version (int16) followed by a struct. The key's
 * version says what the record is:
 *   0, 1  OffsetCommitKey    { group, topic, partition }        (Kafka writes 1)
 *   2     GroupMetadataKey   { group }
 *   3+    records of newer coordinators (KIP-848 groups, share groups): not ours
 * Values: OffsetCommitValue v0-4 (Kafka writes v3, or v1 when the commit carried
 * an explicit retention time) and GroupMetadataValue v0-4 (Kafka writes v3).
 * v4 of both values is flexible (compact strings, tagged fields); it is decoded
 * but never written. A null value is a tombstone.
 *
 * The structs are Kafka's message definitions (OffsetCommitKey.json,
 * OffsetCommitValue.json, GroupMetadataKey.json, GroupMetadataValue.json),
 * compiled by the protocol codec.
 */
import { codecFor, type Message } from "../../protocol/codec.js";
import { Reader, Writer } from "../../protocol/primitives.js";
import type { FieldSpec, MessageSpec } from "../../protocol/schema.js";
import { GroupCoordinatorError } from "./errors.js";

const ALL = [0, 32767] as const;

const OffsetCommitKeySpec: MessageSpec = {
  name: "OffsetCommitKey",
  valid: [0, 1],
  flexible: null,
  fields: [
    { name: "group", type: "string", versions: ALL },
    { name: "topic", type: "string", versions: ALL },
    { name: "partition", type: "int32", versions: ALL },
  ],
};

const OffsetCommitValueSpec: MessageSpec = {
  name: "OffsetCommitValue",
  valid: [0, 4],
  flexible: [4, 32767],
  fields: [
    { name: "offset", type: "int64", versions: ALL },
    { name: "leaderEpoch", type: "int32", versions: [3, 32767], default: -1 },
    { name: "metadata", type: "string", versions: ALL },
    { name: "commitTimestamp", type: "int64", versions: ALL },
    { name: "expireTimestamp", type: "int64", versions: [1, 1], default: -1n },
    { name: "topicId", type: "uuid", versions: [4, 32767], tagged: [4, 32767], tag: 0 },
  ],
};

const GroupMetadataKeySpec: MessageSpec = {
  name: "GroupMetadataKey",
  valid: [2, 2],
  flexible: null,
  fields: [{ name: "group", type: "string", versions: ALL }],
};

const MemberMetadataFields: FieldSpec[] = [
  { name: "memberId", type: "string", versions: ALL },
  { name: "groupInstanceId", type: "string", versions: [3, 32767], nullable: [3, 32767], default: null },
  { name: "clientId", type: "string", versions: ALL },
  { name: "clientHost", type: "string", versions: ALL },
  { name: "rebalanceTimeout", type: "int32", versions: [1, 32767] },
  { name: "sessionTimeout", type: "int32", versions: ALL },
  { name: "subscription", type: "bytes", versions: ALL },
  { name: "assignment", type: "bytes", versions: ALL },
];

const GroupMetadataValueSpec: MessageSpec = {
  name: "GroupMetadataValue",
  valid: [0, 4],
  flexible: [4, 32767],
  fields: [
    { name: "protocolType", type: "string", versions: ALL },
    { name: "generation", type: "int32", versions: ALL },
    { name: "protocol", type: "string", versions: ALL, nullable: ALL },
    { name: "leader", type: "string", versions: ALL, nullable: ALL },
    { name: "currentStateTimestamp", type: "int64", versions: [2, 32767], default: -1n },
    { name: "members", type: "array", elem: "struct", versions: ALL, fields: MemberMetadataFields },
  ],
};

/** The key versions Kafka's classic coordinator writes. */
export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
/** The value versions written (Kafka 2.3+). */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
/** The offset value version written when the commit has an expire timestamp (OffsetCommit v2-v4 retention). */
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
export const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetCommitValue {
  offset: bigint;
  /** v3+; -1 when unknown */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** v1 only; -1 when absent */
  expireTimestamp: bigint;
}

export interface GroupMetadataKey {
  group: string;
}

export interface MemberMetadataRecord {
  memberId: string;
  /** v3+ */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** v1+; a v0 record's members take their session timeout (as Kafka's loader does) */
  rebalanceTimeout: number;
  sessionTimeout: number;
  /** the member's metadata for the group's selected protocol */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** v2+; -1 when absent */
  currentStateTimestamp: bigint;
  members: MemberMetadataRecord[];
}

export type DecodedKey =
  | { type: "offset"; version: number; key: OffsetCommitKey }
  | { type: "group"; version: number; key: GroupMetadataKey }
  | { type: "other"; version: number };

function invalid(what: string, cause: unknown): never {
  throw new GroupCoordinatorError(
    "MR_GROUP_RECORD_INVALID",
    `undecodable ${what}: ${(cause as Error)?.message ?? cause}`,
    { cause },
  );
}

function encode(spec: MessageSpec, version: number, value: object): Buffer {
  const w = new Writer(128);
  w.int16(version);
  codecFor(spec, version).encode(w, value as Record<string, unknown>);
  return w.toBuffer();
}

export function encodeOffsetCommitKey(key: OffsetCommitKey, version = OFFSET_COMMIT_KEY_VERSION): Buffer {
  return encode(OffsetCommitKeySpec, version, key);
}

export function encodeGroupMetadataKey(key: GroupMetadataKey): Buffer {
  return encode(GroupMetadataKeySpec, GROUP_METADATA_KEY_VERSION, key);
}

export function encodeOffsetCommitValue(value: OffsetCommitValue, version = OFFSET_COMMIT_VALUE_VERSION): Buffer {
  return encode(OffsetCommitValueSpec, version, value);
}

export function encodeGroupMetadataValue(value: GroupMetadataValue, version = GROUP_METADATA_VALUE_VERSION): Buffer {
  return encode(GroupMetadataValueSpec, version, value);
}

/** Decodes a key; versions 3 and later (other coordinators' record types) come back as "other". */
export function decodeKey(buf: Buffer): DecodedKey {
  try {
    const r = new Reader(buf);
    const version = r.int16();
    if (version === 0 || version === 1) {
      const k = codecFor(OffsetCommitKeySpec, version).decode(r);
      return { type: "offset", version, key: { group: k.group, topic: k.topic, partition: k.partition } };
    }
    if (version === 2) {
      const k = codecFor(GroupMetadataKeySpec, version).decode(r);
      return { type: "group", version, key: { group: k.group } };
    }
    if (version < 0) throw new Error(`negative key version ${version}`);
    return { type: "other", version };
  } catch (e) {
    if (e instanceof GroupCoordinatorError) throw e;
    invalid("__consumer_offsets key", e);
  }
}

export function decodeOffsetCommitValue(buf: Buffer): { version: number; value: OffsetCommitValue } {
  try {
    const r = new Reader(buf);
    const version = r.int16();
    const v = codecFor(OffsetCommitValueSpec, version).decode(r);
    return {
      version,
      value: {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: v.commitTimestamp,
        expireTimestamp: v.expireTimestamp,
      },
    };
  } catch (e) {
    invalid("OffsetCommitValue", e);
  }
}

export function decodeGroupMetadataValue(buf: Buffer): { version: number; value: GroupMetadataValue } {
  try {
    const r = new Reader(buf);
    const version = r.int16();
    const v = codecFor(GroupMetadataValueSpec, version).decode(r);
    return {
      version,
      value: {
        protocolType: v.protocolType,
        generation: v.generation,
        protocol: v.protocol,
        leader: v.leader,
        currentStateTimestamp: v.currentStateTimestamp,
        members: (v.members as Message[]).map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: version === 0 ? m.sessionTimeout : m.rebalanceTimeout,
          sessionTimeout: m.sessionTimeout,
          subscription: Buffer.from(m.subscription),
          assignment: Buffer.from(m.assignment),
        })),
      },
    };
  } catch (e) {
    invalid("GroupMetadataValue", e);
  }
}

/** Java's String.hashCode(): s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor: Utils.abs(groupId.hashCode) % offsets.topic.num.partitions. */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  const h = javaStringHashCode(groupId);
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0.
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % numPartitions;
}
