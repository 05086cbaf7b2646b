/**
 * Fetch v4-17 (topic ids from v13). Returns whole stored batches (compressed ones stay
 * compressed), at least one batch for the first partition with data even if
 * it exceeds the limits (KIP-74), within max_bytes and partition_max_bytes.
 * Long poll: when fewer than min_bytes are available the request waits, up to
 * max_wait_ms, for appends to any requested partition. Fetch sessions
 * (KIP-227) are declined by answering session id 0, so clients send full
 * fetches. Without transactions, read_committed reads up to the high
 * watermark (the last stable offset) with no aborted transactions.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { Decoded } from "../../protocol/codec.js";
import type { FetchRequestData, FetchResponseData, FetchResponsePartitionData } from "../../protocol/messages/index.js";
import type { PartitionLog } from "../../log/index.js";
import type { ApiHandler, RequestContext } from "./types.js";
import { LEADER_EPOCH } from "./metadata.js";
import { topicError } from "./util.js";
import { uuidToString } from "../../protocol/primitives.js";

const EMPTY = Buffer.alloc(0);

interface Wanted {
  topic: string;
  index: number;
  log: PartitionLog | undefined;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  unknownId?: boolean;
}

function partitionError(w: Wanted, errorCode: number, log?: PartitionLog): FetchResponsePartitionData {
  return {
    partitionIndex: w.index,
    errorCode,
    highWatermark: log ? log.highWatermark : -1n,
    lastStableOffset: log ? log.highWatermark : -1n,
    logStartOffset: log ? log.logStartOffset : -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

async function readAll(
  wanted: Wanted[],
  maxBytes: number,
  readCommitted: boolean,
): Promise<{ parts: FetchResponsePartitionData[]; bytes: number }> {
  let budget = maxBytes;
  let bytes = 0;
  const parts: FetchResponsePartitionData[] = [];
  for (const w of wanted) {
    const log = w.log;
    if (!log) {
      parts.push(partitionError(w, w.unknownId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      continue;
    }
    if (w.currentLeaderEpoch > LEADER_EPOCH) {
      parts.push(partitionError(w, ErrorCode.UNKNOWN_LEADER_EPOCH, log));
      continue;
    }
    if (w.currentLeaderEpoch >= 0 && w.currentLeaderEpoch < LEADER_EPOCH) {
      parts.push(partitionError(w, ErrorCode.FENCED_LEADER_EPOCH, log));
      continue;
    }
    let records: Buffer | null = null;
    let errorCode: number = ErrorCode.NONE;
    const limit = Math.min(w.maxBytes, budget);
    if (limit > 0 || bytes === 0) {
      try {
        const r = await log.read(w.fetchOffset, Math.max(limit, 0), { minOneBatch: bytes === 0 });
        records = r.records;
      } catch (e) {
        errorCode = topicError(e);
      }
    }
    const n = records ? records.length : 0;
    bytes += n;
    budget -= n;
    parts.push({
      partitionIndex: w.index,
      errorCode,
      highWatermark: log.highWatermark,
      lastStableOffset: log.highWatermark,
      logStartOffset: log.logStartOffset,
      abortedTransactions: readCommitted ? [] : null,
      preferredReadReplica: -1,
      // Kafka sends an empty record set, never null: librdkafka rejects a null one.
      records: records ?? EMPTY,
    });
  }
  return { parts, bytes };
}

function waitForAppend(logs: PartitionLog[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const l of logs) l.off("append", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const l of logs) l.once("append", done);
  });
}

async function handle(ctx: RequestContext, req: Decoded<FetchRequestData>): Promise<FetchResponseData> {
  const { broker } = ctx;
  if (req.sessionId !== 0 && req.sessionId !== undefined) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  }
  const wanted: Wanted[] = [];
  const shape: { topic: string; topicId: string; count: number }[] = [];
  const byId = ctx.apiVersion >= 13 ? new Map(broker.log.topics().map((t) => [uuidToString(t.id), t])) : null;
  for (const t of req.topics) {
    // v13 and later name topics by id; an unknown id answers UNKNOWN_TOPIC_ID.
    const info = byId ? byId.get(t.topicId) : broker.log.topic(t.topic);
    for (const p of t.partitions) {
      wanted.push({
        topic: info?.name ?? t.topic,
        index: p.partition,
        log: info?.partitions[p.partition],
        unknownId: byId !== null && !info,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
      });
    }
    shape.push({ topic: t.topic, topicId: t.topicId, count: t.partitions.length });
  }
  const maxBytes: number = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  const readCommitted = req.isolationLevel === 1;
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  let result = await readAll(wanted, maxBytes, readCommitted);
  const logs = wanted.map((w) => w.log).filter((l): l is PartitionLog => !!l);
  while (result.bytes < req.minBytes && result.parts.every((p) => p.errorCode === ErrorCode.NONE) && logs.length > 0) {
    const left = deadline - Date.now();
    if (left <= 0 || broker.isStopping()) break;
    await waitForAppend(logs, left);
    result = await readAll(wanted, maxBytes, readCommitted);
  }
  let i = 0;
  const responses = shape.map((s) => ({
    topic: s.topic,
    topicId: s.topicId,
    partitions: result.parts.slice(i, (i += s.count)),
  }));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
}

export const fetch: ApiHandler<FetchRequestData, FetchResponseData> = {
  key: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  handle,
};
