/**
 * The article's three configurations (examples/article-*.conf) run as files,
 * unchanged, through `millrace agent`; -D overrides point the Twitter source
 * at a local X API v2 and the sinks/channels at local targets.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KafkaClient } from "../../../src/client/client.js";
import { decodeRecordSet } from "../../../src/protocol/records/records.js";
import { decodeAvroFlumeEvent } from "../../../src/formats/avro-flume-event.js";
import { removeDir, startBroker, tempDir } from "../../helpers/broker.js";
import { fakeX, steady } from "../../agent/helpers/fake-x.js";
import { miniHdfs } from "../../agent/helpers/webhdfs.js";
import { runAgent, stopAgent, waitFor } from "./run.js";

/** a v2 filtered-stream message; `at` is its created_at */
function tweetAt(n: number, at: Date): string {
  return JSON.stringify({
    data: {
      id: String(5000 + n),
      text: `tweet ${n} about big data #hadoop`,
      created_at: at.toISOString(),
      author_id: "42",
    },
    includes: { users: [{ id: "42", username: "alice", name: "Alice" }] },
    matching_rules: [{ id: "r1", tag: "millrace" }],
  });
}

const twitter = (url: string) => [
  "-DTwitterAgent.sources.Twitter.consumerKey=ck",
  "-DTwitterAgent.sources.Twitter.consumerSecret=cs",
  `-DTwitterAgent.sources.Twitter.apiBaseUrl=${url}`,
  "-DTwitterAgent.sources.Twitter.maxBatchDurationMillis=50",
];

test("article config 1 (examples/article-logger.conf): Twitter -> MemChannel -> logger logs the tweets", async () => {
  const tweets = Array.from({ length: 30 }, (_, i) => tweetAt(i, new Date(Date.UTC(2024, 4, 1, 12, 0, i))));
  const x = await fakeX([steady(tweets)]);
  const r = runAgent([
    "--name",
    "TwitterAgent",
    "--conf",
    "examples",
    "--conf-file",
    "article-logger.conf",
    "--no-reload-conf",
    ...twitter(x.url),
    "-DTwitterAgent.sinks.LoggerSink.maxBytesToLog=400",
  ]);
  try {
    const logged = await waitFor(() => {
      const l = r
        .out()
        .split("\n")
        .filter((s) => s.includes('"msg":"Event: {'));
      return l.length >= 30 && l;
    }, "30 tweets in the log");
    assert.equal(logged.length, 30);
    for (let i = 0; i < 30; i++)
      assert.ok(
        logged.some((l) => l.includes(`tweet ${i} about big data`)),
        `tweet ${i} logged`,
      );
    assert.match(logged[0], /headers:\{.*timestamp=1714564800000/);
    // the article's keywords became stream rules
    assert.ok(x.rules.some((rule) => rule.value === "big data") && x.rules.some((rule) => rule.value === "hadoop"));
    assert.doesNotMatch(r.out(), /is not supported/, "every key of the article's file is understood");
  } finally {
    await stopAgent(r);
    await x.close();
  }
});

test("article config 2 (article-hdfs.conf): hdfs sink writes .../%Y/%m/%d/%H/ files rolled every 10000 tweets", {
  timeout: 180_000,
}, async () => {
  const dir = tempDir();
  // 12000 tweets in 2024-05-01 10:xx UTC, then 3000 in 11:xx
  const tweets = Array.from({ length: 15000 }, (_, i) =>
    tweetAt(i, new Date(Date.UTC(2024, 4, 1, i < 12000 ? 10 : 11, Math.floor((i % 3000) / 60), i % 60))),
  );
  const x = await fakeX([steady(tweets)]);
  const r = runAgent(
    [
      "-n",
      "TwitterAgent",
      "-c",
      "examples",
      "-f",
      "article-hdfs.conf",
      "--no-reload-conf",
      ...twitter(x.url),
      `-DTwitterAgent.sinks.HDFS.hdfs.path=file://${dir}/user/flume/tweets/%Y/%m/%d/%H/`,
      "-DTwitterAgent.sinks.HDFS.hdfs.timeZone=UTC",
    ],
    { MILLRACE_LOG_LEVEL: "warn" },
  );
  const base = join(dir, "user/flume/tweets/2024/05/01");
  const lines = (h: string) => {
    const d = join(base, h);
    if (!existsSync(d)) return [];
    return readdirSync(d)
      .sort()
      .map((f) => ({ f, n: readFileSync(join(d, f), "utf8").split("\n").filter(Boolean).length }));
  };
  try {
    await waitFor(
      () => [...lines("10"), ...lines("11")].reduce((s, x) => s + x.n, 0) === 15000,
      "15000 tweets written",
      120_000,
    );
  } finally {
    await stopAgent(r);
    await x.close();
  }
  try {
    const h10 = lines("10");
    const h11 = lines("11");
    assert.deepEqual(
      h10.map((x) => x.n),
      [10000, 2000],
      "hour 10: one file rolled at 10000 tweets, then the rest",
    );
    assert.deepEqual(
      h11.map((x) => x.n),
      [3000],
    );
    assert.ok(
      [...h10, ...h11].every((x) => /^FlumeData\.\d+$/.test(x.f)),
      `closed files lose .tmp on shutdown: ${JSON.stringify([...h10, ...h11])}`,
    );
    const first = JSON.parse(readFileSync(join(base, "10", h10[0].f), "utf8").split("\n")[0]);
    assert.equal(first.data.text, "tweet 0 about big data #hadoop", "DataStream + Text: one tweet JSON per line");
  } finally {
    removeDir(dir);
  }
});

test("article config 2 over WebHDFS: hdfs://namenode:port/user/flume/tweets/%Y/%m/%d/%H/ written via the REST API", {
  timeout: 120_000,
}, async () => {
  const root = tempDir();
  const hdfs = await miniHdfs(root);
  const tweets = Array.from({ length: 300 }, (_, i) => tweetAt(i, new Date(Date.UTC(2024, 4, 1, 10, 0, i % 60))));
  const x = await fakeX([steady(tweets)]);
  const r = runAgent(
    [
      "-n",
      "TwitterAgent",
      "-c",
      "examples",
      "-f",
      "article-hdfs.conf",
      "--no-reload-conf",
      ...twitter(x.url),
      // the article's path with the namenode's HTTP (WebHDFS) port instead of the RPC port 9000
      `-DTwitterAgent.sinks.HDFS.hdfs.path=hdfs://127.0.0.1:${hdfs.nnPort}/user/flume/tweets/%Y/%m/%d/%H/`,
      "-DTwitterAgent.sinks.HDFS.hdfs.timeZone=UTC",
      "-DTwitterAgent.sinks.HDFS.hdfs.rollCount=100",
    ],
    { MILLRACE_LOG_LEVEL: "warn" },
  );
  const dir = join(root, "user/flume/tweets/2024/05/01/10");
  const count = () =>
    existsSync(dir)
      ? readdirSync(dir).reduce((n, f) => n + readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean).length, 0)
      : 0;
  try {
    await waitFor(() => count() === 300, "300 tweets written over WebHDFS");
  } finally {
    await stopAgent(r);
    await x.close();
  }
  try {
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 3, `rolled every 100 tweets: ${files.join(", ")}`);
    assert.ok(
      files.every((f) => /^FlumeData\.\d+$/.test(f)),
      "renamed from .tmp on close",
    );
    assert.ok(
      hdfs.ops.some((o) => o.startsWith("PUT CREATE /user/flume/tweets/2024/05/01/10/FlumeData.")),
      hdfs.ops.slice(0, 5).join("\n"),
    );
    assert.ok(hdfs.ops.some((o) => o.startsWith("PUT RENAME ")));
  } finally {
    await hdfs.close();
    removeDir(root);
  }
});

test("article config 3 (article-kafka-channel.conf): Kafka channel, no sink, writes AvroFlumeEvents to topic twitter", {
  timeout: 120_000,
}, async () => {
  const broker = await startBroker();
  const tweets = Array.from({ length: 40 }, (_, i) => tweetAt(i, new Date(Date.UTC(2024, 4, 1, 12, 0, i))));
  const x = await fakeX([steady(tweets)]);
  const r = runAgent([
    "-n",
    "TwitterAgent",
    "-c",
    "examples",
    "-f",
    "article-kafka-channel.conf",
    "--no-reload-conf",
    ...twitter(x.url),
    `-DTwitterAgent.channels.KafkaChannel.kafka.bootstrap.servers=${broker.bootstrap}`,
  ]);
  const client = await KafkaClient.connect(broker.bootstrap);
  try {
    const read = async () => {
      const events = [];
      let next = 0n;
      for (;;) {
        const f = await client.fetch("twitter", 0, next, { maxWaitMs: 10 });
        if (!f.records) break;
        for (const b of decodeRecordSet(f.records))
          for (const rec of b.records) {
            events.push(decodeAvroFlumeEvent(rec.value!));
            next = rec.offset + 1n;
          }
      }
      return events;
    };
    const events = await waitFor(async () => {
      try {
        const e = await read();
        return e.length >= 40 && e;
      } catch {
        return false; // the topic does not exist until the agent creates it
      }
    }, "40 tweets in topic twitter");
    assert.equal(events.length, 40);
    assert.deepEqual(
      events.map((e) => JSON.parse(e.body.toString()).data.id),
      tweets.map((t) => JSON.parse(t).data.id),
    );
    assert.equal(events[0].headers.timestamp, String(Date.UTC(2024, 4, 1, 12, 0, 0)));
  } finally {
    await client.close();
    await stopAgent(r);
    await x.close();
    await broker.stop();
    removeDir(broker.dir);
  }
});
