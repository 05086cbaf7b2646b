/**
 * Producer ids for idempotent producers (InitProducerId), never reused across
 * restarts: ids are handed out from blocks, and a block is recorded on disk
 * (atomically: temp file, fsync, rename, fsync of the directory) before any
 * id of it is returned. After a restart the next block starts after the last
 * recorded one, so ids of a partly used block are skipped, never repeated.
 *
 *   <log dir>/millrace-producer-ids
 *     {"version":1,"broker":1,"block_start":"1000","block_end":"1999"}
 *
 * (the JSON of Kafka's ZooKeeper producer-id block, /latest_producer_id_block;
 * block_end is inclusive).
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../fs/index.js";
import { readFileIfExists } from "../../log/files.js";
import { ErrorCode } from "../../protocol/errors.js";
import { ProducerStateError } from "./errors.js";

export const PRODUCER_IDS_FILE = "millrace-producer-ids";
export const DEFAULT_PRODUCER_ID_BLOCK_SIZE = 1000;
const INT64_MAX = (1n << 63n) - 1n;
const INT16_MAX = 32767;

export interface ProducerIdManagerOptions {
  /** the log directory (LogManager.dir) */
  dir: string;
  /** ids recorded per block (default 1000) */
  blockSize?: number;
  /** written into the file, as Kafka records the broker that took a block (default 1) */
  nodeId?: number;
  /**
   * What InitProducerId without a transactional id does when the client
   * passes its current producer id and epoch (v3+, KIP-360):
   *   "new-id" (default, Kafka's behaviour): always a new producer id with
   *     epoch 0 (Kafka's TransactionCoordinator "blindly accepts" requests
   *     without a transactional id);
   *   "bump-epoch": the same id with epoch + 1; a new id with epoch 0 when
   *     the epoch is exhausted (>= 32766, Kafka's isEpochExhausted) or the
   *     id was never handed out by this broker.
   */
  existingProducer?: "new-id" | "bump-epoch";
}

export interface InitProducerIdInput {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  /** v3+; -1 (or absent) when the client has none */
  producerId?: bigint;
  /** v3+; -1 (or absent) when the client has none */
  producerEpoch?: number;
}

export interface InitProducerIdOutput {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
  /** why errorCode is not NONE, for the broker's log (not sent: InitProducerId has no message field) */
  message?: string;
}

interface BlockFile {
  version: 1;
  broker: number;
  block_start: string;
  block_end: string;
}

function parseBlockFile(buf: Buffer, path: string): bigint {
  const bad = (why: string) =>
    new ProducerStateError(
      "MR_PRODUCER_IDS_CORRUPT",
      `${path}: ${why}; refusing to hand out producer ids that may have been used`,
    );
  let j: Partial<BlockFile>;
  try {
    j = JSON.parse(buf.toString("utf8")) as Partial<BlockFile>;
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (j === null || typeof j !== "object" || j.version !== 1) throw bad("unknown version");
  if (
    typeof j.block_start !== "string" ||
    typeof j.block_end !== "string" ||
    !/^\d+$/.test(j.block_start) ||
    !/^\d+$/.test(j.block_end)
  ) {
    throw bad("block_start/block_end missing");
  }
  const start = BigInt(j.block_start);
  const end = BigInt(j.block_end);
  if (end < start || end > INT64_MAX) throw bad(`invalid block ${start}..${end}`);
  return end;
}

function fail(errorCode: number, message: string): InitProducerIdOutput {
  return { errorCode, producerId: -1n, producerEpoch: -1, message };
}

export class ProducerIdManager {
  readonly path: string;
  readonly blockSize: number;
  readonly nodeId: number;
  readonly existingProducer: "new-id" | "bump-epoch";
  /** last id of the last block recorded on disk (-1: none yet) */
  private recordedEnd: bigint;
  /** next id to hand out; ids up to `blockEnd` are recorded */
  private next = 0n;
  private blockEnd = -1n;
  private allocating: Promise<void> | null = null;

  private constructor(opts: ProducerIdManagerOptions, recordedEnd: bigint) {
    this.path = join(opts.dir, PRODUCER_IDS_FILE);
    this.blockSize = opts.blockSize ?? DEFAULT_PRODUCER_ID_BLOCK_SIZE;
    this.nodeId = opts.nodeId ?? 1;
    this.existingProducer = opts.existingProducer ?? "new-id";
    this.recordedEnd = recordedEnd;
    if (!Number.isSafeInteger(this.blockSize) || this.blockSize < 1)
      throw new RangeError(`producer id block size must be a positive integer, not ${this.blockSize}`);
  }

  /** Reads the block file (if any). Nothing is written until the first id is needed. */
  static async open(opts: ProducerIdManagerOptions): Promise<ProducerIdManager> {
    const path = join(opts.dir, PRODUCER_IDS_FILE);
    const buf = await readFileIfExists(path);
    return new ProducerIdManager(opts, buf === null ? -1n : parseBlockFile(buf, path));
  }

  /** The id the next call to generateProducerId would return without a new block (for tools and tests). */
  get nextProducerId(): bigint {
    return this.next <= this.blockEnd ? this.next : this.recordedEnd + 1n;
  }

  /** A producer id never handed out before, by this run or an earlier one. */
  async generateProducerId(): Promise<bigint> {
    for (;;) {
      if (this.next <= this.blockEnd) return this.next++;
      this.allocating ??= this.allocateBlock().finally(() => {
        this.allocating = null;
      });
      await this.allocating;
    }
  }

  private async allocateBlock(): Promise<void> {
    const start = this.recordedEnd + 1n;
    const end = start + BigInt(this.blockSize) - 1n;
    if (end > INT64_MAX)
      throw new ProducerStateError("MR_PRODUCER_IDS_EXHAUSTED", `no producer ids left after ${this.recordedEnd}`);
    const body: BlockFile = {
      version: 1,
      broker: this.nodeId,
      block_start: start.toString(),
      block_end: end.toString(),
    };
    await writeFileAtomic(this.path, JSON.stringify(body) + "\n");
    this.recordedEnd = end;
    this.next = start;
    this.blockEnd = end;
  }

  /**
   * InitProducerId v0-5 for producers without a transactional id (idempotence
   * only). Transactions are not supported: a non-null transactional id is
   * answered with UNSUPPORTED_VERSION (35), "" with INVALID_REQUEST (42), as
   * Kafka does for an empty one. transactionTimeoutMs is ignored without a
   * transactional id, as in Kafka.
   */
  async initProducerId(req: InitProducerIdInput): Promise<InitProducerIdOutput> {
    if (req.transactionalId !== null) {
      if (req.transactionalId === "") return fail(ErrorCode.INVALID_REQUEST, "empty transactional id");
      return fail(
        ErrorCode.UNSUPPORTED_VERSION,
        `transactions are not supported (transactional id ${JSON.stringify(req.transactionalId)})`,
      );
    }
    const pid = req.producerId ?? -1n;
    const epoch = req.producerEpoch ?? -1;
    // KafkaApis: producer id and epoch are both given or both -1.
    if ((pid === -1n) !== (epoch === -1))
      return fail(ErrorCode.INVALID_REQUEST, `producer id ${pid} with epoch ${epoch}`);
    if (pid < -1n || epoch < -1) return fail(ErrorCode.INVALID_REQUEST, `producer id ${pid} with epoch ${epoch}`);
    try {
      if (this.existingProducer === "bump-epoch" && pid >= 0n && pid <= this.recordedEnd && epoch < INT16_MAX - 1) {
        return { errorCode: ErrorCode.NONE, producerId: pid, producerEpoch: epoch + 1 };
      }
      return { errorCode: ErrorCode.NONE, producerId: await this.generateProducerId(), producerEpoch: 0 };
    } catch (e) {
      // An I/O failure recording a block: retriable for the client (Java re-enqueues retriable InitProducerId errors).
      const code = e instanceof ProducerStateError ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.KAFKA_STORAGE_ERROR;
      return fail(code, `could not allocate a producer id: ${(e as Error).message}`);
    }
  }
}
