/**
 * The demo's streaming app: trending hashtags with their sentiment.
 *
 * Tweets (Twitter v2/v1.1 JSON, or Jetstream/Mastodon posts; plain or wrapped in
 * Flume's AvroFlumeEvent by the Kafka channel) are read from a topic with the
 * direct Kafka stream, parsed (src/social: entities via twitter-text, AFINN
 * sentiment), and each hashtag's count and summed sentiment are kept over a 60 s
 * window sliding every batch (reduceByKeyAndWindow with its inverse). Every
 * batch prints the top 10 with the average sentiment, appends the result, keyed
 * by batch time, to a JSON-lines file, and hands it to the dashboard. Offsets
 * are committed to the consumer group after the output, so tools show the lag.
 *
 *   millrace submit examples/demo/trending-sentiment.ts --bootstrap 127.0.0.1:9092 \
 *     [--topic twitter] [--batch 2000] [--window 60000] [--checkpoint DIR] [--output FILE]
 *
 * With --checkpoint a restarted app resumes where it stopped: same offset ranges,
 * same window state, and a batch already in the output file is not written twice.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  KafkaUtils,
  StreamingContext,
  decodeAvroFlumeEvent,
  hashtagKey,
  parseJsonLines,
  parsePost,
  publishLatency,
  publishOutput,
  scorePost,
  toJsonLines,
} from "millrace";

const { values: a } = parseArgs({
  args: process.argv.slice(2),
  options: {
    bootstrap: { type: "string", default: "127.0.0.1:9092" },
    topic: { type: "string", default: "twitter" },
    group: { type: "string", default: "trending-hashtags" },
    batch: { type: "string", default: "2000" },
    window: { type: "string", default: "60000" },
    top: { type: "string", default: "10" },
    checkpoint: { type: "string" },
    output: { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});
const batchMs = Number(a.batch);
const windowMs = Number(a.window);
const topN = Number(a.top);
const appName = "trending-hashtags";

/** [count, tweets with a sentiment score, sum of their scores] */
type Agg = [number, number, number];

/** the tweet inside a record value: JSON itself, or the body of an AvroFlumeEvent */
function tweetOf(buf: Buffer | null): unknown {
  if (buf === null) throw new Error("null value");
  if (buf[0] === 0x7b /* { */) return JSON.parse(buf.toString("utf8"));
  return JSON.parse(decodeAvroFlumeEvent(buf).body.toString("utf8"));
}

const ssc = new StreamingContext({
  appName,
  batchInterval: batchMs,
  master: "local[2]",
  appModule: import.meta.url,
  ...(a.checkpoint ? { checkpoint: a.checkpoint } : {}),
});
const records = KafkaUtils.createDirectStream(ssc, {
  bootstrapServers: a.bootstrap,
  topics: [a.topic],
  groupId: a.group,
  startingOffsets: "earliest",
  valueDecoder: tweetOf,
});

const tags = records.flatMap((r) => {
  let post: ReturnType<typeof parsePost>;
  try {
    post = parsePost(r.value);
  } catch {
    return [];
  }
  const s = scorePost(post);
  const uniq = [...new Set(post.hashtags.map((t) => "#" + hashtagKey(t)))];
  return uniq.map((t) => [t, [1, s ? 1 : 0, s ? s.score : 0]] as [string, Agg]);
});

const add = (x: Agg, y: Agg): Agg => [x[0] + y[0], x[1] + y[1], x[2] + y[2]];
const sub = (x: Agg, y: Agg): Agg => [x[0] - y[0], x[1] - y[1], x[2] - y[2]];
const windowed = tags.reduceByKeyAndWindow(add, sub, windowMs, batchMs, undefined, ([, v]) => v[0] > 0);

export interface TrendingRow {
  hashtag: string;
  count: number;
  /** average AFINN score of the English tweets with the hashtag (null: none scored) */
  sentiment: number | null;
}

// Batches already in the output file (a re-run batch after a restart is not written twice).
let lastWritten = 0;
if (a.output) {
  mkdirSync(dirname(a.output), { recursive: true });
  if (existsSync(a.output)) {
    // a torn last line is a bad line, left out
    for (const { value } of parseJsonLines<{ time: number }>(readFileSync(a.output)).records)
      lastWritten = Math.max(lastWritten, Number(value?.time) || 0);
  }
}

const fmtSent = (s: number | null) => (s === null ? "    n/a" : (s >= 0 ? "+" : "") + s.toFixed(2)).padStart(7);
const bar = (s: number | null) => (s === null ? "" : s > 0.25 ? " positive" : s < -0.25 ? " negative" : " neutral");
let drawn = 0;
let lastCatchUpLine = 0;

function table(time: number, rows: TrendingRow[], inWindow: number): string[] {
  const when = new Date(time).toISOString().slice(11, 19);
  const lines = [
    `Trending hashtags at ${when} UTC (last ${windowMs / 1000} s, ${inWindow} hashtag uses)`,
    `  #  hashtag                   count  sentiment`,
  ];
  rows.forEach((r, i) => {
    const rank = String(i + 1).padStart(3);
    const tag = r.hashtag.padEnd(24).slice(0, 24);
    const count = String(r.count).padStart(5);
    lines.push(`${rank}  ${tag}  ${count}  ${fmtSent(r.sentiment)}${bar(r.sentiment)}`);
  });
  if (rows.length === 0) lines.push("     (no hashtags in the window yet)");
  return lines;
}

windowed.foreachRDD(async (rdd, time) => {
  const all = await rdd.collect();
  const inWindow = all.reduce((n, [, v]) => n + v[0], 0);
  const rows: TrendingRow[] = all
    .sort((x, y) => y[1][0] - x[1][0] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, topN)
    .map(([hashtag, [count, scored, sum]]) => ({
      hashtag,
      count,
      sentiment: scored > 0 ? Math.round((sum / scored) * 100) / 100 : null,
    }));
  const lines = table(time, rows, inWindow);
  const behind = Date.now() - time > 5 * batchMs;
  if (!a.quiet && behind) {
    // catching up after a restart (batches of the time it was stopped): one line a second, not a table per batch
    if (Date.now() - lastCatchUpLine >= 1000) {
      lastCatchUpLine = Date.now();
      const clear = process.stdout.isTTY && drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "";
      process.stdout.write(
        `${clear}catching up: batch of ${new Date(time).toISOString().slice(0, 19).replace("T", " ")}` +
          ` UTC, ${Math.round((Date.now() - time) / batchMs)} batches behind\n`,
      );
      drawn = 1;
    }
  } else if (!a.quiet) {
    // on a terminal the table is redrawn in place; otherwise each batch is printed
    const clear = process.stdout.isTTY && drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "";
    process.stdout.write(clear + lines.join("\n") + "\n" + (process.stdout.isTTY ? "" : "\n"));
    drawn = lines.length;
  }
  if (a.output && time > lastWritten) {
    appendFileSync(a.output, toJsonLines([{ time, window: windowMs, top: rows }]));
    lastWritten = time;
  }
  publishOutput(appName, {
    title: `Trending hashtags (last ${windowMs / 1000} s) with average sentiment`,
    time,
    lines,
  });
});

// after the output: end-to-end latency of the batch's records and the group's offsets
records.foreachRDD(async (rdd, time) => {
  const recs = await rdd.collect();
  publishLatency(
    appName,
    time,
    recs.map((r) => r.timestamp),
  );
  await KafkaUtils.commitAsync(records, KafkaUtils.offsetRanges(rdd));
});

await ssc.start();
if (!process.env.MILLRACE_PIPELINE) {
  process.once("SIGINT", () => void ssc.stop({ graceful: true }));
  process.once("SIGTERM", () => void ssc.stop({ graceful: true }));
}
await ssc.awaitTermination();
