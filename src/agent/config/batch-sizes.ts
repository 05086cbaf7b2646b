/**
 * Batch sizes against transactionCapacity, for every component kind, in one
 * place (the components keep reading their own keys).
 *
 * A source puts a batch in one transaction per channel, so its batch can never
 * be larger than the smallest transactionCapacity of its channels:
 *   - an explicit batch size above it is a config error naming file:line:key;
 *   - an unset one becomes min(the source's Flume default, that capacity), set
 *     in the source's Context before the source reads it.
 * A sink takes a batch in one transaction of its channel. Flume 1.7 (the
 * article's version) accepted a sink batch above transactionCapacity and
 * failed at run time; the article's files rely on that, so here the sink takes
 * at most transactionCapacity events per transaction, with a warning naming
 * file:line:key when the file asked for more.
 */
import type { ConfigError } from "../../errors.js";
import type { Context } from "../api.js";
import { findChannel, findSink, findSource } from "../registry.js";

interface BatchKey {
  /** the component's batch-size keys, the current name first */
  keys: string[];
  /** Flume's default (or millrace's, for sources Flume does not have) */
  def: number;
}

/** Source kinds (registry aliases) and their batch sizes. */
export const SOURCE_BATCH: Record<string, BatchKey> = {
  seq: { keys: ["batchSize"], def: 1 },
  exec: { keys: ["batchSize"], def: 20 },
  spooldir: { keys: ["batchSize"], def: 100 },
  TAILDIR: { keys: ["batchSize"], def: 100 },
  multiport_syslogtcp: { keys: ["batchSize"], def: 100 },
  kafka: { keys: ["batchSize"], def: 1000 },
  twitter: { keys: ["maxBatchSize"], def: 1000 },
  jetstream: { keys: ["batchSize"], def: 100 },
  mastodon: { keys: ["batchSize"], def: 100 },
  wikimedia: { keys: ["batchSize"], def: 100 },
  replay: { keys: ["batchSize"], def: 100 },
  tweets: { keys: ["batchSize"], def: 100 },
};

/** Sink kinds and their batch sizes (the Kafka sink's batchSize is Flume's old name of flumeBatchSize). */
export const SINK_BATCH: Record<string, BatchKey> = {
  logger: { keys: ["batchSize"], def: 100 },
  null: { keys: ["batchSize"], def: 100 },
  hdfs: { keys: ["hdfs.batchSize"], def: 100 },
  file_roll: { keys: ["sink.batchSize"], def: 100 },
  avro: { keys: ["batch-size"], def: 100 },
  kafka: { keys: ["flumeBatchSize", "batchSize"], def: 100 },
};

/** Channel kinds with a transactionCapacity, and its Flume default. */
const CHANNEL_TX: Record<string, number> = { memory: 100, file: 10_000 };

export interface ChannelRef {
  name: string;
  type: string;
  ctx: Context;
}

/**
 * The channel's transactionCapacity as it will be configured (undefined: unbounded, or left to the
 * channel's own check).
 */
export function transactionCapacityOf(ch: ChannelRef): number | undefined {
  const alias = findChannel(ch.type)?.alias;
  const def = alias === undefined ? undefined : CHANNEL_TX[alias];
  if (def === undefined) return undefined;
  const raw = ch.ctx.entry("transactionCapacity")?.value.trim();
  if (raw === undefined || raw === "") return def;
  return /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : undefined;
}

function smallest(chs: ChannelRef[]): { tc: number; channel: string } | undefined {
  let best: { tc: number; channel: string } | undefined;
  for (const c of chs) {
    const tc = transactionCapacityOf(c);
    if (tc !== undefined && (best === undefined || tc < best.tc)) best = { tc, channel: c.name };
  }
  return best;
}

function explicit(ctx: Context, keys: string[]): { key: string; value: number } | undefined {
  for (const key of keys) {
    const raw = ctx.entry(key)?.value.trim();
    if (raw === undefined || raw === "") continue;
    // not a positive integer: the component reports it with its own words
    return /^\d+$/.test(raw) ? { key, value: Number(raw) } : undefined;
  }
  return undefined;
}

/** Checks (explicit) or sets (unset) a source's batch size against its channels. */
export function limitSourceBatch(
  name: string,
  type: string,
  ctx: Context,
  channels: ChannelRef[],
  errors: ConfigError[],
): void {
  const alias = findSource(type)?.alias;
  const spec = alias === undefined ? undefined : SOURCE_BATCH[alias];
  const limit = smallest(channels);
  if (!spec || !limit) return;
  const given = explicit(ctx, spec.keys);
  if (given) {
    if (given.value > limit.tc)
      errors.push(
        ctx.error(
          given.key,
          `(${given.value}) of source ${name} is greater than the transactionCapacity (${limit.tc}) ` +
            `of channel ${limit.channel}: ` +
            `a source puts its batch in one transaction; lower ${given.key} or raise transactionCapacity`,
        ),
      );
    return;
  }
  if (spec.keys.some((k) => ctx.has(k))) return;
  if (limit.tc < spec.def) ctx.set(spec.keys[0]!, String(limit.tc));
}

/** Caps a sink's batch size at its channel's transactionCapacity (warning when the file asked for more). */
export function limitSinkBatch(
  name: string,
  type: string,
  ctx: Context,
  channel: ChannelRef,
  warnings: string[],
): void {
  const alias = findSink(type)?.alias;
  const spec = alias === undefined ? undefined : SINK_BATCH[alias];
  const tc = transactionCapacityOf(channel);
  if (!spec || tc === undefined) return;
  const given = explicit(ctx, spec.keys);
  if (given) {
    if (given.value <= tc) return;
    const e = ctx.entry(given.key)!;
    warnings.push(
      `${e.line > 0 ? `${e.file}:${e.line}: ` : ""}${e.key} (${given.value}) of sink ${name} is greater than the ` +
        `transactionCapacity (${tc}) of channel ${channel.name}: the sink takes at most ${tc} events per transaction`,
    );
    ctx.set(given.key, String(tc), e);
    return;
  }
  if (spec.keys.some((k) => ctx.has(k))) return;
  if (tc < spec.def) ctx.set(spec.keys[0]!, String(tc));
}
