/**
 * The counted hand-off every source makes: events to the channel processor with
 * Flume's source counters around it (SourceCounter's EventReceivedCount,
 * AppendReceivedCount / AppendBatchReceivedCount, the matching *AcceptedCount, and
 * ChannelWriteFail when the channel refuses). One place, so every source counts alike.
 */
import type { ChannelProcessor, Event } from "../api.js";
import type { SourceCounter } from "../counters.js";

export interface PutOptions {
  /** processEvent (one event) or processEventBatch; default "batch" */
  call?: "event" | "batch";
  /** which Append counter the put counts: "batch" (AppendBatch*), "single" (Append*), "none"; default "batch" */
  append?: "batch" | "single" | "none";
  /** count the received side (false for a retry of a batch already counted); default true */
  received?: boolean;
  /** the events counted, when the put carries them transformed (one Avro container per batch); default events.length */
  count?: number;
}

/** Puts `events`, counting as Flume does; a refusal counts ChannelWriteFail and is rethrown. */
export async function putCounted(
  counter: SourceCounter,
  cp: ChannelProcessor,
  events: Event[],
  opts: PutOptions = {},
): Promise<void> {
  const append = opts.append ?? "batch";
  const n = opts.count ?? events.length;
  if (opts.received !== false) {
    counter.inc("EventReceivedCount", n);
    if (append !== "none") counter.inc(append === "batch" ? "AppendBatchReceivedCount" : "AppendReceivedCount");
  }
  try {
    if (opts.call === "event") await cp.processEvent(events[0]!);
    else await cp.processEventBatch(events);
  } catch (err) {
    counter.inc("ChannelWriteFail");
    throw err;
  }
  counter.inc("EventAcceptedCount", n);
  if (append !== "none") counter.inc(append === "batch" ? "AppendBatchAcceptedCount" : "AppendAcceptedCount");
}
