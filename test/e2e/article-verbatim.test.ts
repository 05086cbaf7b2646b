/**
 * The article, exactly as written: its three agent files byte for byte (the
 * strings below; examples/article-*.conf are commented working copies), run
 * through `millrace agent` with the article's flume-ng flags, a loopback
 * stand-in for the Twitter API and a real `millrace broker` process at
 * brokerList; the article's kafka-topics command in its millrace form; and a
 * streaming app written outside this repository, submitted, SIGKILLed and
 * restarted from its checkpoint with exactly-once output.
 *
 * Only placeholders change: `<host>` becomes the broker's loopback address;
 * -D points the Twitter source at the stand-in (with its credentials) and the
 * HDFS sink at a local directory, as a user would without editing the file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.js";
import { decodeRecordSet } from "../../src/protocol/records/records.js";
import { decodeAvroFlumeEvent } from "../../src/formats/avro-flume-event.js";
import { removeDir, tempDir } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";
import { fakeX, steady } from "../agent/helpers/fake-x.js";
import { runAgent, stopAgent, waitFor } from "./agent/run.js";
import { ARTICLE_HDFS, ARTICLE_KAFKA, ARTICLE_LOGGER } from "./article-files.js";

/** a v2 filtered-stream message; `at` is its created_at */
function tweetAt(n: number, at: Date): string {
  return JSON.stringify({
    data: { id: String(100_000 + n), text: `tweet ${n} about big data #hadoop`, created_at: at.toISOString() },
    matching_rules: [{ id: "r1", tag: "millrace" }],
  });
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => String(100_000 + i));

/**
 * the article's flume-ng command line: `--conf ./conf/ -f conf/twitter.conf
 * -Dflume.root.logger=DEBUG,console -n TwitterAgent`
 */
function article(dir: string, text: string, xUrl: string, extra: string[] = []): ReturnType<typeof runAgent> {
  writeFileSync(join(dir, "twitter.conf"), text);
  return runAgent(
    [
      "--conf",
      dir,
      "-f",
      join(dir, "twitter.conf"),
      "-Dflume.root.logger=DEBUG,console",
      "-n",
      "TwitterAgent",
      "--no-reload-conf",
      // the loopback stand-in for the Twitter API and the credentials it accepts
      `-DTwitterAgent.sources.Twitter.apiBaseUrl=${xUrl}`,
      "-DTwitterAgent.sources.Twitter.consumerKey=ck",
      "-DTwitterAgent.sources.Twitter.consumerSecret=cs",
      ...extra,
    ],
    { MILLRACE_LOG_LEVEL: "" },
  );
}

function millrace(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/millrace.js", ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the article's files are the article's bytes (the placeholders the test replaces included)", () => {
  for (const t of [ARTICLE_LOGGER, ARTICLE_HDFS, ARTICLE_KAFKA]) {
    assert.match(t, /TwitterAgent\.sources\.Twitter\.consumerKey = <consumerKey>\n/);
    assert.doesNotMatch(t, /maxBatchSize|bootstrap\.servers/, "nothing millrace-specific was added");
  }
  assert.match(ARTICLE_HDFS, /hdfs\.batchSize = 1000\n[\s\S]*transactionCapacity = 100\n$/);
  assert.match(ARTICLE_KAFKA, /brokerList = <host>:9092\n[\s\S]*zookeeperConnect = <host>:2181\n/);
});

test("article file 1: a burst of 500 tweets in one second through transactionCapacity 100 reaches the logger whole", {
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  const at = Date.UTC(2024, 4, 1, 12, 0, 0);
  const x = await fakeX([steady(Array.from({ length: 500 }, (_, i) => tweetAt(i, new Date(at + i))))]);
  const r = article(dir, ARTICLE_LOGGER, x.url);
  try {
    const logged = await waitFor(() => {
      const l = r
        .out()
        .split("\n")
        .filter((s) => s.includes('"msg":"Event: {'));
      return l.length >= 500 && l;
    }, "500 tweets in the log");
    const seen = logged.map((l) => /id=(\d+)/.exec(l)?.[1]).sort();
    assert.deepEqual(seen, ids(500), "every tweet logged once");
    const out = r.out();
    assert.match(out, /"level":20,.*logging to the console at level debug/, "-Dflume.root.logger=DEBUG,console");
    assert.doesNotMatch(out, /channel full|retrying the same batch/);
    assert.ok(
      x.rules.some((rule) => rule.value === "big data"),
      "the article's keywords became stream rules",
    );
  } finally {
    await stopAgent(r);
    await x.close();
    removeDir(dir);
  }
});

test("article file 2: every tweet under %Y/%m/%d/%H, rolled by rollCount; hdfs.batchSize 1000 over " +
  "transactionCapacity 100 is capped with a warning", {
  timeout: 240_000,
}, async () => {
  const dir = tempDir();
  // 10200 tweets in one hour, 300 in the next
  const h10 = new Date(2024, 4, 1, 10, 0, 0).getTime();
  const h11 = new Date(2024, 4, 1, 11, 0, 0).getTime();
  const tweets = Array.from({ length: 10_500 }, (_, i) => tweetAt(i, new Date(i < 10_200 ? h10 + i : h11 + i)));
  const x = await fakeX([steady(tweets)]);
  const r = article(dir, ARTICLE_HDFS, x.url, [
    `-DTwitterAgent.sinks.HDFS.hdfs.path=file://${dir}/user/flume/tweets/%Y/%m/%d/%H/`,
  ]);
  const base = join(dir, "user/flume/tweets/2024/05/01");
  const files = (h: string) =>
    existsSync(join(base, h))
      ? readdirSync(join(base, h))
          .sort()
          .map((f) =>
            readFileSync(join(base, h, f), "utf8")
              .split("\n")
              .filter(Boolean),
          )
      : [];
  try {
    await waitFor(
      () => [...files("10"), ...files("11")].reduce((n, f) => n + f.length, 0) === 10_500,
      "10500 tweets written",
      180_000,
    );
  } finally {
    await stopAgent(r);
    await x.close();
  }
  try {
    assert.deepEqual(
      files("10").map((f) => f.length),
      [10_000, 200],
      "rolled at rollCount",
    );
    assert.deepEqual(
      files("11").map((f) => f.length),
      [300],
    );
    const got = [...files("10"), ...files("11")].flat().map((l) => JSON.parse(l).data.id);
    assert.deepEqual(got.sort(), ids(10_500));
    assert.match(
      r.out(),
      new RegExp(
        [
          "twitter\\.conf:18: TwitterAgent\\.sinks\\.HDFS\\.hdfs\\.batchSize \\(1000\\) of sink ",
          "HDFS is greater than the transactionCapacity \\(100\\) of channel MemChannel: the sink ",
          "takes at most 100 events per transaction",
        ].join(""),
      ),
    );
  } finally {
    removeDir(dir);
  }
});

function startBrokerProcess(dir: string, port: number): ChildProcess {
  return spawn(
    process.execPath,
    [
      "bin/millrace.js",
      "broker",
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      "--override",
      `log.dirs=${dir}`,
    ],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" } },
  );
}

async function connect(bootstrap: string): Promise<KafkaClient> {
  return waitFor(() => KafkaClient.connect(bootstrap).catch(() => false as const), `broker at ${bootstrap}`, 30_000);
}

async function readTopic(client: KafkaClient, topic: string, partitions: number) {
  const events = [];
  for (let p = 0; p < partitions; p++) {
    let next = 0n;
    for (;;) {
      const f = await client.fetch(topic, p, next, { maxWaitMs: 10 });
      if (!f.records) break;
      for (const b of decodeRecordSet(f.records))
        for (const rec of b.records) {
          events.push(decodeAvroFlumeEvent(rec.value!));
          next = rec.offset + 1n;
        }
    }
  }
  return events;
}

async function readRecords(client: KafkaClient, topic: string, partitions: number) {
  const out: { partition: number; offset: bigint; bytes: number }[] = [];
  for (let p = 0; p < partitions; p++) {
    let next = 0n;
    for (;;) {
      const f = await client.fetch(topic, p, next, { maxWaitMs: 10 });
      if (!f.records) break;
      for (const b of decodeRecordSet(f.records))
        for (const rec of b.records) {
          out.push({ partition: p, offset: rec.offset, bytes: rec.value!.length });
          next = rec.offset + 1n;
        }
    }
  }
  return out;
}

/** a Spark user's standalone app: its own folder, no package.json, top-level await, import "millrace" */
const APP = `import { join } from "node:path";
import { KafkaUtils, RemoteTopics, StreamingContext } from "millrace";

const [bootstrap, checkpointDir, outDir] = process.argv.slice(2);
const admin = new RemoteTopics({ bootstrapServers: bootstrap });
const ends = await Promise.all([0, 1].map((p) => admin.listOffset("twitter", p, "latest")));
await admin.close();

const ssc = await StreamingContext.getOrCreate(checkpointDir, () => {
  const ctx = new StreamingContext({ appName: "article-app", batchInterval: 100 });
  const stream = KafkaUtils.createDirectStream(ctx, {
    topics: ["twitter"],
    bootstrapServers: bootstrap,
    startingOffsets: "earliest",
    maxRatePerPartition: 100,
  });
  stream.map((r) => \`\${r.partition}:\${r.offset}:\${r.value.length}\`).saveAsTextFiles(join(outDir, "ids"));
  stream.foreachRDD((rdd) => {
    const until = Date.now() + 20;
    while (Date.now() < until);
    if (KafkaUtils.offsetRanges(rdd).every((o) => o.untilOffset >= ends[o.partition])) void ctx.stop();
  });
  return ctx;
});
await ssc.start();
process.stdout.write("started\\n");
await ssc.awaitTermination();
process.stdout.write("finished\\n");
`;

function submit(appFile: string, args: string[], killAfterMs?: number): Promise<{ finished: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/millrace.js", "submit", "--master", "local[2]", appFile, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (killAfterMs !== undefined && /^started$/m.test(out)) {
        setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        killAfterMs = undefined;
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") return resolve({ finished: /^finished$/m.test(out), out });
      if (code !== 0) return reject(new Error(`submit exited with ${code}: ${err}`));
      resolve({ finished: /^finished$/m.test(out), out });
    });
  });
}

test("article file 3 with a real broker at brokerList: every tweet in topic twitter; an app from " +
  "another folder reads it exactly once across a SIGKILL", {
  timeout: 300_000,
}, async () => {
  const logDir = tempDir();
  const dir = tempDir();
  const appDir = mkdtempSync(join(tmpdir(), "spark-user-"));
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const broker = startBrokerProcess(logDir, port);
  const at = Date.UTC(2024, 4, 1, 12, 0, 0);
  const x = await fakeX([steady(Array.from({ length: 500 }, (_, i) => tweetAt(i, new Date(at + i))))]);
  let r: ReturnType<typeof runAgent> | undefined;
  let client: KafkaClient | undefined;
  try {
    client = await connect(bootstrap);
    // the article's `kafka-topics.sh --create --zookeeper <host>:2181 --replication-factor 1
    // --partitions 2 --topic twitter`
    const zk = millrace([
      "topics",
      "--create",
      "--zookeeper",
      "127.0.0.1:2181",
      "--replication-factor",
      "1",
      "--partitions",
      "2",
      "--topic",
      "twitter",
    ]);
    assert.equal(zk.status, 1);
    const cmd = /run: millrace (.*) \[MR_CLI_ZOOKEEPER\]/.exec(zk.stderr)![1]!.split(" ");
    assert.deepEqual(cmd, [
      "topics",
      "--create",
      "--bootstrap-server",
      "127.0.0.1:9092",
      "--replication-factor",
      "1",
      "--partitions",
      "2",
      "--topic",
      "twitter",
    ]);
    const created = millrace(cmd.map((a) => (a === "127.0.0.1:9092" ? bootstrap : a)));
    assert.equal(created.status, 0, created.stderr);

    r = article(dir, ARTICLE_KAFKA.replaceAll("<host>:9092", bootstrap).replaceAll("<host>", "127.0.0.1"), x.url);
    const events = await waitFor(async () => {
      const e = await readTopic(client!, "twitter", 2);
      return e.length >= 500 && e;
    }, "500 tweets in topic twitter");
    assert.deepEqual(events.map((e) => JSON.parse(e.body.toString()).data.id).sort(), ids(500));
    const out = r.out();
    assert.match(
      out,
      new RegExp(
        [
          "twitter\\.conf:13: TwitterAgent\\.channels\\.Kafka\\.brokerList is deprecated: use ",
          "TwitterAgent\\.channels\\.Kafka\\.kafka\\.bootstrap\\.servers",
        ].join(""),
      ),
    );
    assert.match(
      out,
      new RegExp(
        [
          "twitter\\.conf:14: TwitterAgent\\.channels\\.Kafka\\.topic is deprecated: use ",
          "TwitterAgent\\.channels\\.Kafka\\.kafka\\.topic",
        ].join(""),
      ),
    );
    assert.match(
      out,
      /twitter\.conf:15: TwitterAgent\.channels\.Kafka\.zookeeperConnect has no effect: there is no ZooKeeper/,
    );
    await stopAgent(r);
    r = undefined;

    // the Spark user's app, in a folder of its own
    const appFile = join(appDir, "app.ts");
    writeFileSync(appFile, APP);
    const ck = join(appDir, "checkpoint");
    const outDir = join(appDir, "out");
    const first = await submit(appFile, [bootstrap, ck, outDir], 1000);
    assert.equal(first.finished, false, "the first run was killed before it finished");
    const second = await submit(appFile, [bootstrap, ck, outDir]);
    assert.equal(second.finished, true, second.out);
    const seen: string[] = [];
    for (const d of readdirSync(outDir).filter((n) => n.startsWith("ids-"))) {
      const files = readdirSync(join(outDir, d));
      assert.ok(files.includes("_SUCCESS"), `${d} is complete`);
      for (const f of files.filter((f) => f.startsWith("part-")))
        seen.push(
          ...readFileSync(join(outDir, d, f), "utf8")
            .split("\n")
            .filter(Boolean),
        );
    }
    // every record of topic twitter (partition:offset:bytes) exactly once across the kill and the restart
    const expected = (await readRecords(client, "twitter", 2)).map((x) => `${x.partition}:${x.offset}:${x.bytes}`);
    assert.equal(expected.length, 500);
    assert.deepEqual(seen.sort(), expected.sort());
  } finally {
    if (r) await stopAgent(r);
    await client?.close();
    await x.close();
    broker.kill("SIGTERM");
    await new Promise((res) => broker.once("exit", res));
    for (const d of [logDir, dir, appDir]) removeDir(d);
  }
});

test(
  "config errors naming file:line:key: the Kafka channel with no broker; " + "a source batch above transactionCapacity",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "article-bad-"));
    try {
      const noBroker = ARTICLE_KAFKA.replace(/^TwitterAgent\.channels\.Kafka\.brokerList = .*\n/m, "");
      writeFileSync(join(dir, "twitter.conf"), noBroker);
      let r = millrace(["agent", "-c", dir, "-f", "twitter.conf", "-n", "TwitterAgent", "--no-reload-conf"]);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        new RegExp(
          `${join(dir, "twitter.conf").replace(/[.]/g, "\\.")}:12: ` +
            `TwitterAgent\\.channels\\.Kafka\\.kafka\\.bootstrap\\.servers is not set: channel Kafka ` +
            "names no Kafka broker",
        ),
      );
      writeFileSync(join(dir, "twitter.conf"), ARTICLE_LOGGER + "TwitterAgent.sources.Twitter.maxBatchSize = 500\n");
      r = millrace(["agent", "-c", dir, "-f", "twitter.conf", "-n", "TwitterAgent", "--no-reload-conf"]);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        new RegExp(
          [
            "twitter\\.conf:19: TwitterAgent\\.sources\\.Twitter\\.maxBatchSize \\(500\\) of ",
            "source Twitter is greater than the transactionCapacity \\(100\\) of channel MemChannel",
          ].join(""),
        ),
      );
    } finally {
      removeDir(dir);
    }
  },
);
