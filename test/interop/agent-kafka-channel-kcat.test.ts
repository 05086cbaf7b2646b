/**
 * The article's third configuration, end to end against a real broker: a
 * source feeds a Kafka channel that has no sink (kafka.bootstrap.servers,
 * kafka.topic = twitter, parseAsFlumeEvent = true); kcat (librdkafka) then
 * reads topic `twitter` and every message decodes as an AvroFlumeEvent with
 * the headers and body that went in.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARTICLE_KAFKA } from "../e2e/article-files.js";
import { Context, event } from "../../src/agent/api.js";
import { createKafkaChannel } from "../../src/agent/channels/kafka.js";
import { decodeAvroFlumeEvent } from "../../src/formats/avro-flume-event.js";
import { startBroker, removeDir } from "../helpers/broker.js";
import { env } from "../agent/io-helpers.js";
import { assertPresent, missingCommand, needs } from "./helpers.js";
import { fakeX, steady, tweet } from "../agent/helpers/fake-x.js";
import { runAgent, stopAgent, waitFor } from "../e2e/agent/run.js";

const missing = missingCommand("kcat", ["-V"], "kcat");
const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

/** kcat's stdout as bytes (values are binary Avro, not text). */
function kcatRaw(args: string[], timeoutMs = 60_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`kcat ${args.join(" ")} exited ${code}: ${Buffer.concat(err).toString()}`));
    });
  });
}

/** Splits kcat -f '%S:%s' output: decimal length, a colon, then that many bytes. */
function splitSized(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const colon = buf.indexOf(0x3a, pos);
    assert.ok(colon > pos, `kcat output is not LEN:BYTES at byte ${pos}`);
    const len = Number(buf.toString("latin1", pos, colon));
    out.push(buf.subarray(colon + 1, colon + 1 + len));
    pos = colon + 1 + len;
  }
  return out;
}

test(
  "kafka channel with no sink writes topic twitter; kcat reads it back as AvroFlumeEvents",
  needs(missing, 120_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker();
    dirs.push(tb.dir);
    try {
      const ch = createKafkaChannel(
        "MemChannel",
        Context.of({
          "kafka.bootstrap.servers": tb.bootstrap,
          "kafka.topic": "twitter",
          "kafka.consumer.group.id": "flume",
          parseAsFlumeEvent: "true",
        }),
        env(),
      );
      await ch.start();
      const sent = Array.from({ length: 200 }, (_, i) =>
        event(JSON.stringify({ id: String(1_000_000 + i), text: `tweet number ${i} ${"x".repeat(i)}`, lang: "en" }), {
          timestamp: String(1_700_000_000_000 + i),
          i: String(i),
        }),
      );
      try {
        for (let i = 0; i < sent.length; i += 50) {
          const tx = ch.getTransaction();
          tx.begin();
          for (const e of sent.slice(i, i + 50)) await tx.put(e);
          await tx.commit();
          tx.close();
        }
      } finally {
        await ch.stop();
      }
      const raw = await kcatRaw([
        "-C",
        "-b",
        tb.bootstrap,
        "-t",
        "twitter",
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%S:%s",
      ]);
      const values = splitSized(raw);
      assert.equal(values.length, sent.length);
      const got = values.map(decodeAvroFlumeEvent).sort((a, b) => Number(a.headers.i) - Number(b.headers.i));
      for (let i = 0; i < sent.length; i++) {
        assert.deepEqual(got[i].headers, sent[i].headers);
        assert.deepEqual(got[i].body, sent[i].body);
      }
    } finally {
      await tb.stop();
    }
  },
);

test(
  "examples/article-kafka-channel.conf run by `millrace agent` (local X API v2): kcat reads the " +
    "tweets from topic twitter as AvroFlumeEvents",
  needs(missing, 120_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker();
    dirs.push(tb.dir);
    const tweets = Array.from({ length: 60 }, (_, i) => tweet(i));
    const x = await fakeX([steady(tweets)]);
    const r = runAgent([
      "-n",
      "TwitterAgent",
      "-c",
      "examples",
      "-f",
      "article-kafka-channel.conf",
      "--no-reload-conf",
      "-DTwitterAgent.sources.Twitter.consumerKey=ck",
      "-DTwitterAgent.sources.Twitter.consumerSecret=cs",
      `-DTwitterAgent.sources.Twitter.apiBaseUrl=${x.url}`,
      "-DTwitterAgent.sources.Twitter.maxBatchDurationMillis=50",
      `-DTwitterAgent.channels.KafkaChannel.kafka.bootstrap.servers=${tb.bootstrap}`,
    ]);
    try {
      const values = await waitFor(async () => {
        const raw = await kcatRaw([
          "-C",
          "-b",
          tb.bootstrap,
          "-t",
          "twitter",
          "-o",
          "beginning",
          "-e",
          "-q",
          "-f",
          "%S:%s",
        ]).catch(() => Buffer.alloc(0));
        const v = splitSized(raw);
        return v.length >= 60 && v;
      }, "60 messages in topic twitter");
      const got = values.map(decodeAvroFlumeEvent);
      assert.deepEqual(
        got.map((e) => JSON.parse(e.body.toString()).data.id),
        tweets.map((t) => JSON.parse(t).data.id),
      );
      assert.ok(
        got.every((e) => /^\d+$/.test(e.headers.timestamp)),
        "the timestamp header travels in the AvroFlumeEvent",
      );
    } finally {
      await stopAgent(r);
      await x.close();
      await tb.stop();
    }
  },
);

test(
  "the article's Kafka-channel file as printed (brokerList = <host>:9092, topic, zookeeperConnect) " +
    "run by `millrace agent`: kcat reads every tweet from topic twitter",
  needs(missing, 120_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker();
    dirs.push(tb.dir);
    const conf = mkdtempSync(join(tmpdir(), "article-"));
    dirs.push(conf);
    writeFileSync(join(conf, "twitter.conf"), ARTICLE_KAFKA.replaceAll("<host>:9092", tb.bootstrap));
    const tweets = Array.from({ length: 300 }, (_, i) => tweet(i));
    const x = await fakeX([steady(tweets)]);
    const r = runAgent([
      "--conf",
      conf,
      "-f",
      join(conf, "twitter.conf"),
      "-Dflume.root.logger=DEBUG,console",
      "-n",
      "TwitterAgent",
      "--no-reload-conf",
      "-DTwitterAgent.sources.Twitter.consumerKey=ck",
      "-DTwitterAgent.sources.Twitter.consumerSecret=cs",
      `-DTwitterAgent.sources.Twitter.apiBaseUrl=${x.url}`,
    ]);
    try {
      const values = await waitFor(async () => {
        const raw = await kcatRaw([
          "-C",
          "-b",
          tb.bootstrap,
          "-t",
          "twitter",
          "-o",
          "beginning",
          "-e",
          "-q",
          "-f",
          "%S:%s",
        ]).catch(() => Buffer.alloc(0));
        const v = splitSized(raw);
        return v.length >= 300 && v;
      }, "300 messages in topic twitter");
      assert.equal(values.length, 300);
      assert.deepEqual(
        values.map((v) => JSON.parse(decodeAvroFlumeEvent(v).body.toString()).data.id).sort(),
        tweets.map((t) => JSON.parse(t).data.id).sort(),
      );
    } finally {
      await stopAgent(r);
      await x.close();
      await tb.stop();
    }
  },
);
