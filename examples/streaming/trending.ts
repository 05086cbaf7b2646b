/**
 * The trending-hashtags pipeline, shared by the example app, its test and the
 * benchmark. Hashtags are found with twitter-text (src/social), as the API does,
 * and counted under one key per tag (NFC, lower case).
 */
import type { DStream } from "../../src/index.js";
import { extractHashtags, hashtagKey } from "../../src/social/entities.js";

/** hashtags of a tweet: Twitter API v2 ({ data: { text } }), v1.1 ({ text }) or a plain string; lower-cased */
export function hashtags(tweet: unknown): string[] {
  const t = tweet as { text?: unknown; data?: { text?: unknown } } | string | null;
  const text =
    typeof t === "string"
      ? t
      : typeof t?.data?.text === "string"
        ? t.data.text
        : typeof t?.text === "string"
          ? t.text
          : "";
  return extractHashtags(text).map((tag) => "#" + hashtagKey(tag));
}

/**
 * [hashtag, count] over the window (inverse reduce, zero counts dropped), most frequent first, ties by
 * name, at most `n`
 */
export function trending(
  tweets: DStream<unknown>,
  windowMs: number,
  slideMs: number,
  n = 10,
): DStream<[string, number]> {
  return tweets
    .flatMap((t) => hashtags(t))
    .map((tag) => [tag, 1] as [string, number])
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      windowMs,
      slideMs,
      undefined,
      ([, c]) => c > 0,
    )
    .transform((rdd) => rdd.sortBy(([tag, count]) => [-count, tag]).mapPartitions((items) => items.slice(0, n)));
}
