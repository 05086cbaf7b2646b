/**
 * The subscription a consumer sends as its JoinGroup protocol metadata when the
 * protocol type is "consumer" (Kafka's ConsumerProtocolSubscription):
 *
 *   version int16, then  topics [string], userData nullable bytes   (v0)
 *                        ownedPartitions [{topic, [int32]}]          (v1+)
 *                        generationId int32                          (v2+)
 *                        rackId nullable string                      (v3+)
 *
 * Like Kafka's coordinator, only the v0 prefix is read, whatever the version:
 * every later version extends it at the end.
 */
import { Reader } from "../../protocol/primitives.js";

export const CONSUMER_PROTOCOL_TYPE = "consumer";

/** The subscribed topics, or null when the bytes are not a consumer subscription. */
export function parseSubscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    const n = r.arrayLength(false);
    if (n < 0) return null;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string(false));
    r.nullableBytes(false); // userData
    return topics;
  } catch {
    return null;
  }
}
