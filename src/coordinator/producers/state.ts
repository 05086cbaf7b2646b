/**
 * One partition's idempotent-producer state (Kafka's KIP-98 idempotence,
 * without transactions): for every producer id that wrote to the partition,
 * its epoch and the metadata of its last 5 batches, so that retries are
 * answered with the original offsets and gaps or zombies are refused.
 *
 * The rules are Kafka's (ProducerAppendInfo / ProducerStateEntry, 2.5+):
 *
 *   - a batch whose epoch and sequence range equal one of the producer's last
 *     5 batches is a duplicate: answered with the original offsets, not appended;
 *   - epoch below the producer's current epoch: INVALID_PRODUCER_EPOCH (47);
 *   - a newer epoch must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER (45);
 *     a newer epoch forgets the batches of the old one;
 *   - same epoch: the first sequence must follow the last one (int32
 *     wraparound: INT32_MAX is followed by 0), else OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   - a producer id the partition does not know (never seen, expired, or its
 *     data deleted before a restart) is accepted with any first sequence. This
 *     is KIP-360 (Kafka 2.5+); before 2.5 Kafka answered UNKNOWN_PRODUCER_ID
 *     (59) when the first sequence was not 0. Modern clients recover from an
 *     unknown-producer situation by bumping their epoch, which needs the
 *     broker to accept the write; they no longer expect error 59 here.
 *   - batches with producerId -1 are not idempotent and skip every check.
 *
 * `check` is pure; `onAppended` records batches that the log accepted at
 * known offsets. Both are synchronous, so with appends issued synchronously
 * in arrival order (PartitionLog.append assigns offsets at call time) a
 * check-append-record sequence cannot interleave with another.
 * ProducerStateManager.append does the three steps in one call.
 */
import { CONTROL_MASK } from "../../protocol/records/batch.js";
import { ErrorCode } from "../../protocol/errors.js";

export const INT32_MAX = 0x7fffffff;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN (and the client's max.in.flight.requests.per.connection limit). */
export const BATCHES_TO_RETAIN = 5;
/** producer.id.expiration.ms default (1 day). */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;

/** `seq + n` in the int32 sequence space (wraps from INT32_MAX to 0). */
export function incrementSequence(seq: number, n: number): number {
  return seq > INT32_MAX - n ? n - (INT32_MAX - seq) - 1 : seq + n;
}

/** `seq - n` in the int32 sequence space (wraps from 0 to INT32_MAX). */
export function decrementSequence(seq: number, n: number): number {
  return seq < n ? INT32_MAX - (n - seq) + 1 : seq - n;
}

/** Whether `next` is the sequence right after `last`. */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

/** The v2 batch header fields the producer state needs (a subset of ScannedBatch and of BatchHeader). */
export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  maxTimestamp: bigint;
  /** control batches (transaction markers) are skipped; absent means a data batch */
  attributes?: number;
}

/** One appended batch of a producer. */
export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  /** the batch's max timestamp as stored (the append time on LogAppendTime topics) */
  timestamp: bigint;
}

/** A producer's state in one partition (a copy; mutating it changes nothing). */
export interface ProducerEntry {
  producerId: bigint;
  epoch: number;
  /** oldest first, at most BATCHES_TO_RETAIN; empty only for entries restored from a snapshot without batches */
  batches: BatchMetadata[];
  /** timestamp of the last batch (Kafka's lastTimestamp): what expiry is measured from */
  lastTimestamp: bigint;
}

export type CheckResult =
  | { kind: "append" }
  /** batch `batchIndex` repeats an appended batch: answer success with these offsets, append nothing */
  | { kind: "duplicate"; batchIndex: number; firstOffset: bigint; lastOffset: bigint; timestamp: bigint }
  /** refuse the whole append with this Kafka error code */
  | { kind: "error"; batchIndex: number; errorCode: number; message: string };

export interface PartitionProducerStateOptions {
  /** producer.id.expiration.ms (default 86400000) */
  expirationMs?: number;
  /** for messages: "topic-partition" */
  name?: string;
}

interface Entry {
  producerId: bigint;
  epoch: number;
  batches: BatchMetadata[];
  lastTimestamp: bigint;
}

/** What check() tracks for batches of the same append that precede the one being checked. */
interface Pending {
  epoch: number;
  lastSeq: number;
}

function isData(b: ProducerBatch): boolean {
  return b.producerId > NO_PRODUCER_ID && ((b.attributes ?? 0) & CONTROL_MASK) === 0;
}

function copyEntry(e: Entry): ProducerEntry {
  return {
    producerId: e.producerId,
    epoch: e.epoch,
    batches: e.batches.map((b) => ({ ...b })),
    lastTimestamp: e.lastTimestamp,
  };
}

export class PartitionProducerState {
  readonly expirationMs: number;
  readonly name: string;
  private readonly producers = new Map<bigint, Entry>();

  constructor(opts: PartitionProducerStateOptions = {}) {
    this.expirationMs = opts.expirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS;
    this.name = opts.name ?? "partition";
  }

  /** Number of producers with state. */
  get size(): number {
    return this.producers.size;
  }

  /** One producer's state, or undefined when the partition does not know it. */
  get(producerId: bigint): ProducerEntry | undefined {
    const e = this.producers.get(producerId);
    return e ? copyEntry(e) : undefined;
  }

  /** Every producer's state, by producer id. */
  entries(): ProducerEntry[] {
    return [...this.producers.values()]
      .sort((a, b) => (a.producerId < b.producerId ? -1 : a.producerId > b.producerId ? 1 : 0))
      .map(copyEntry);
  }

  /**
   * Validates the batches of one append, in order, without changing anything.
   * Each batch is checked against the state left by the batches before it in
   * the same append. A duplicate anywhere makes the whole append a duplicate
   * (Kafka answers with that batch's offsets and appends nothing); an error
   * anywhere refuses the whole append.
   */
  check(batches: readonly ProducerBatch[]): CheckResult {
    let pending: Map<bigint, Pending> | null = null;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (!isData(b)) continue;
      const lastSeq = incrementSequence(b.baseSequence, b.lastOffsetDelta);
      const entry = this.producers.get(b.producerId);
      const inflight = pending?.get(b.producerId);
      // Duplicates are looked up among appended batches only (as Kafka does): batches of this append have no
      // offsets yet.
      if (entry && b.producerEpoch === entry.epoch) {
        for (const m of entry.batches) {
          if (m.firstSeq === b.baseSequence && m.lastSeq === lastSeq) {
            return {
              kind: "duplicate",
              batchIndex: i,
              firstOffset: m.firstOffset,
              lastOffset: m.lastOffset,
              timestamp: m.timestamp,
            };
          }
        }
      }
      const cur: Pending | null =
        inflight ??
        (entry
          ? {
              epoch: entry.epoch,
              lastSeq: entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSeq : NO_SEQUENCE,
            }
          : null);
      if (cur) {
        const err = this.validate(cur, b, i);
        if (err) return err;
      }
      pending ??= new Map();
      pending.set(b.producerId, { epoch: b.producerEpoch, lastSeq });
    }
    return { kind: "append" };
  }

  private validate(cur: Pending, b: ProducerBatch, i: number): CheckResult | null {
    const who = `producer ${b.producerId} in ${this.name}`;
    if (b.producerEpoch < cur.epoch) {
      return {
        kind: "error",
        batchIndex: i,
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `epoch ${b.producerEpoch} of ${who} is smaller than the last seen epoch ${cur.epoch}`,
      };
    }
    if (b.producerEpoch !== cur.epoch) {
      if (b.baseSequence !== 0) {
        return {
          kind: "error",
          batchIndex: i,
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message:
            `invalid sequence number for new epoch of ${who}: ${b.producerEpoch} (request epoch), ` +
            `${b.baseSequence} (seq. number), ${cur.epoch} (current producer epoch)`,
        };
      }
      return null;
    }
    if (!inSequence(cur.lastSeq, b.baseSequence)) {
      return {
        kind: "error",
        batchIndex: i,
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message:
          `out of order sequence number for ${who}: ${b.baseSequence} (incoming seq. number), ` +
          `${cur.lastSeq} (current end sequence number)`,
      };
    }
    return null;
  }

  /**
   * Records the batches of one append that the log accepted, the first at
   * `baseOffset` and the rest after it (offsets advance by lastOffsetDelta+1
   * per batch, as PartitionLog assigns them). No validation: call it only
   * after check() said "append". `logAppendTime` >= 0 (LogAppendTime topics)
   * replaces the batches' max timestamps, as the log does.
   */
  onAppended(batches: readonly ProducerBatch[], baseOffset: bigint, logAppendTime = -1n): void {
    let next = baseOffset;
    for (const b of batches) {
      if (isData(b)) this.apply(b, next, logAppendTime >= 0n ? logAppendTime : b.maxTimestamp);
      next += BigInt(b.lastOffsetDelta) + 1n;
    }
  }

  /** Rebuilds state from a batch read back from the log (recovery): no validation, the log is the truth. */
  replay(b: ProducerBatch, baseOffset: bigint): void {
    if (isData(b)) this.apply(b, baseOffset, b.maxTimestamp);
  }

  private apply(b: ProducerBatch, firstOffset: bigint, timestamp: bigint): void {
    let e = this.producers.get(b.producerId);
    if (!e) {
      e = { producerId: b.producerId, epoch: b.producerEpoch, batches: [], lastTimestamp: timestamp };
      this.producers.set(b.producerId, e);
    } else if (e.epoch !== b.producerEpoch) {
      e.epoch = b.producerEpoch;
      e.batches = [];
    }
    e.batches.push({
      firstSeq: b.baseSequence,
      lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta),
      firstOffset,
      lastOffset: firstOffset + BigInt(b.lastOffsetDelta),
      timestamp,
    });
    if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
    e.lastTimestamp = timestamp;
  }

  /**
   * Drops producers whose last batch is older than producer.id.expiration.ms
   * at `now` (Kafka measures from the batch's timestamp). Returns how many.
   */
  removeExpired(now: number | bigint): number {
    const t = BigInt(now);
    const ms = BigInt(this.expirationMs);
    let n = 0;
    for (const [id, e] of this.producers) {
      if (t - e.lastTimestamp >= ms) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Replaces one producer's state (snapshot loading). Batches beyond the last BATCHES_TO_RETAIN are dropped. */
  restore(entry: ProducerEntry): void {
    const batches = entry.batches.slice(-BATCHES_TO_RETAIN).map((b) => ({ ...b }));
    this.producers.set(entry.producerId, {
      producerId: entry.producerId,
      epoch: entry.epoch,
      batches,
      lastTimestamp: entry.lastTimestamp,
    });
  }

  /** Forgets every producer. */
  clear(): void {
    this.producers.clear();
  }
}
