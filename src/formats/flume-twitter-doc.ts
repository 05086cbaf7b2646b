/**
 * What Flume 1.x's TwitterSource (org.apache.flume.source.twitter.TwitterSource)
 * emitted: one event per batch of up to maxBatchSize tweets, whose body is an
 * Avro object container file (codec null, as its DataFileWriter was never given
 * one) of records named `Doc`. The schema below is the one that source built in
 * code: record "Doc" with doc "adoc" and no namespace; `id` a plain string, every
 * other field a union of its type and null (type first, so no defaults). Field
 * order, names and types follow it exactly; JSON.stringify of this object gives
 * the same schema text Avro's Java Schema.toString() writes for it.
 *
 * Mapping notes (from twitter4j's Status, which the source read):
 *  - created_at is formatted "yyyy-MM-dd'T'HH:mm:ss'Z'" (we use UTC; Flume used
 *    the JVM's zone with a literal Z).
 *  - retweeted is Status.isRetweet() (this tweet is a retweet), not "I retweeted".
 *  - in_reply_to_user_id and in_reply_to_status_id are -1 when the tweet is not a
 *    reply (twitter4j's value for "none"), never null.
 *  - media_url_https and expanded_url come from the first media entity, else null.
 *  - longs are JavaScript bigints (tweet and user ids exceed 2^53).
 */
import avro from "avsc";
import type { Post } from "../social/model.js";
import { bigIntLongOptions, readContainer, writeContainer, type ContainerCodec } from "./avro-container.js";

const opt = (t: string): [string, "null"] => [t, "null"];

export const FLUME_TWITTER_DOC_SCHEMA = {
  type: "record",
  name: "Doc",
  doc: "adoc",
  fields: [
    { name: "id", type: "string" },
    { name: "user_friends_count", type: opt("int") },
    { name: "user_location", type: opt("string") },
    { name: "user_description", type: opt("string") },
    { name: "user_statuses_count", type: opt("int") },
    { name: "user_followers_count", type: opt("int") },
    { name: "user_name", type: opt("string") },
    { name: "user_screen_name", type: opt("string") },
    { name: "created_at", type: opt("string") },
    { name: "text", type: opt("string") },
    { name: "retweet_count", type: opt("long") },
    { name: "retweeted", type: opt("boolean") },
    { name: "in_reply_to_user_id", type: opt("long") },
    { name: "source", type: opt("string") },
    { name: "in_reply_to_status_id", type: opt("long") },
    { name: "media_url_https", type: opt("string") },
    { name: "expanded_url", type: opt("string") },
  ],
};

export interface FlumeTwitterDoc {
  id: string;
  user_friends_count: number | null;
  user_location: string | null;
  user_description: string | null;
  user_statuses_count: number | null;
  user_followers_count: number | null;
  user_name: string | null;
  user_screen_name: string | null;
  created_at: string | null;
  text: string | null;
  retweet_count: bigint | null;
  retweeted: boolean | null;
  in_reply_to_user_id: bigint | null;
  source: string | null;
  in_reply_to_status_id: bigint | null;
  media_url_https: string | null;
  expanded_url: string | null;
}

export const flumeTwitterDocType = avro.Type.forSchema(FLUME_TWITTER_DOC_SCHEMA as avro.Schema, bigIntLongOptions());

const INT_MAX = 2147483647;
const int = (n: number | undefined): number | null =>
  n === undefined ? null : Math.max(-INT_MAX - 1, Math.min(INT_MAX, Math.trunc(n)));

function toLong(id: string | undefined): bigint {
  return id !== undefined && /^\d{1,19}$/.test(id) ? BigInt(id) : -1n;
}

/** Flume's created_at text: yyyy-MM-dd'T'HH:mm:ss'Z' (no milliseconds). */
export function flumeDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

/** Maps a normalized tweet to Flume's Doc record. */
export function tweetToDoc(p: Post): FlumeTwitterDoc {
  const m = p.media?.[0];
  return {
    id: p.id,
    user_friends_count: int(p.author.following ?? 0),
    user_location: p.author.location ?? null,
    user_description: p.author.description ?? null,
    user_statuses_count: int(p.author.statuses ?? 0),
    user_followers_count: int(p.author.followers ?? 0),
    user_name: p.author.name,
    user_screen_name: p.author.handle || null,
    created_at: flumeDate(p.createdAt),
    text: p.text,
    retweet_count: BigInt(Math.trunc(p.retweetCount ?? 0)),
    retweeted: p.isRetweet,
    in_reply_to_user_id: p.isReply ? toLong(p.inReplyToUserId) : -1n,
    source: p.client ?? null,
    in_reply_to_status_id: p.isReply ? toLong(p.inReplyToId) : -1n,
    media_url_https: m?.url ?? null,
    expanded_url: m?.expandedUrl ?? null,
  };
}

/** One batch of docs as one container file: the body of one Flume event. */
export function docsToContainer(
  docs: FlumeTwitterDoc[],
  opts: { codec?: ContainerCodec; syncMarker?: Buffer } = {},
): Buffer {
  return writeContainer(FLUME_TWITTER_DOC_SCHEMA as avro.Schema, docs, {
    codec: opts.codec ?? "null",
    syncMarker: opts.syncMarker,
    typeOptions: bigIntLongOptions(),
  });
}

/** Reads an event body written by Flume's Twitter source (or docsToContainer). */
export function containerToDocs(buf: Buffer): FlumeTwitterDoc[] {
  return readContainer<FlumeTwitterDoc>(buf, { typeOptions: bigIntLongOptions() }).records.map((r) => ({ ...r }));
}
