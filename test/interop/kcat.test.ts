/**
 * kcat (librdkafka) against millrace over real sockets:
 *  - 100,000 keyed messages produced from a file into a 4-partition topic,
 *    listed (-L, -J), consumed back and checked (count, key<->value, per-key
 *    order, dense offsets); then the broker process is stopped with SIGTERM,
 *    restarted over the same log directory and everything is read again;
 *  - every compression codec: produced with -z, stored compressed as sent,
 *    consumed back by kcat and decoded by millrace's own record layer;
 *  - acks=all (both spellings) answered only once the log is fsynced, and
 *    headers round-trip.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { KafkaClient } from "../../src/client/client.js";
import { CompressionType } from "../../src/protocol/records/batch.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { startBroker, tempDir, removeDir } from "../helpers/broker.js";
import { BrokerProcess, assertPresent, missingCommand, needs, readTopic, runOk } from "./helpers.js";

const missing = missingCommand("kcat", ["-V"], "kcat");
const kcatVersion = missing ? "" : spawnSync("kcat", ["-V"], { encoding: "utf8" }).stdout;
/** kcat prints its build features, e.g. "Version 1.7.1 (JSON, Transactions, ...)". */
const kcatHasJson = /\bJSON\b/.test(kcatVersion);

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const NEVER = "9223372036854775807";
/** Topic configs that keep fsync to acks=all only, so the tests can see which acks a client sent. */
const NO_TIMED_FLUSH = { "flush.ms": NEVER, "flush.messages": NEVER };

interface Row {
  partition: number;
  offset: bigint;
  key: string;
  value: string;
  headers?: string;
}

/** Parses kcat -f '%p\t%o\t%k\t%s[\t%h]\n' output. */
function parseRows(stdout: string, withHeaders = false): Row[] {
  const rows: Row[] = [];
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const f = line.split("\t");
    assert.equal(f.length, withHeaders ? 5 : 4, `unexpected kcat output line: ${JSON.stringify(line)}`);
    rows.push({
      partition: Number(f[0]),
      offset: BigInt(f[1]),
      key: f[2],
      value: f[3],
      ...(withHeaders ? { headers: f[4] } : {}),
    });
  }
  return rows;
}

/**
 * Checks consumed rows against what was sent (key -> values in send order):
 * the same number of messages, every key on exactly one partition, each key's
 * values in send order, and offsets dense from 0 in each partition.
 */
function checkKeyed(
  rows: { partition: number; offset: bigint; key: string | null; value: string | null }[],
  sent: Map<string, string[]>,
  partitions: number,
  what: string,
): void {
  const total = [...sent.values()].reduce((n, v) => n + v.length, 0);
  assert.equal(rows.length, total, `${what}: consumed ${rows.length} messages, produced ${total}`);
  const nextOffset = new Array<bigint>(partitions).fill(0n);
  const byKey = new Map<string, { partition: number; values: string[] }>();
  for (const r of rows) {
    assert.ok(r.partition >= 0 && r.partition < partitions, `${what}: partition ${r.partition} out of range`);
    assert.equal(
      r.offset,
      nextOffset[r.partition],
      `${what}: partition ${r.partition} delivered offset ${r.offset}, expected ${nextOffset[r.partition]}`,
    );
    nextOffset[r.partition]++;
    assert.ok(r.key !== null && r.value !== null, `${what}: null key or value at ${r.partition}/${r.offset}`);
    let k = byKey.get(r.key);
    if (!k) byKey.set(r.key, (k = { partition: r.partition, values: [] }));
    assert.equal(r.partition, k.partition, `${what}: key ${r.key} is on partitions ${k.partition} and ${r.partition}`);
    k.values.push(r.value);
  }
  assert.equal(byKey.size, sent.size, `${what}: ${byKey.size} distinct keys consumed, ${sent.size} produced`);
  for (const [key, values] of sent) {
    const got = byKey.get(key)?.values ?? [];
    const i = values.findIndex((v, j) => got[j] !== v);
    assert.ok(
      i === -1 && got.length === values.length,
      `${what}: key ${key}: value #${i} is ${JSON.stringify(got[i])}, produced ` +
        `${JSON.stringify(values[i])} (${got.length}/${values.length} values)`,
    );
  }
}

/** Generates `n` keyed lines "key:value"; values name their key and their place in the key's sequence. */
function keyedInput(n: number, keys: number, valueSuffix = ""): { text: string; sent: Map<string, string[]> } {
  const sent = new Map<string, string[]>();
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = `key-${(i * 7919) % keys}`;
    let vs = sent.get(key);
    if (!vs) sent.set(key, (vs = []));
    const value = `${key}#${vs.length}#${i}${valueSuffix}`;
    vs.push(value);
    lines.push(`${key}:${value}`);
  }
  return { text: lines.join("\n") + "\n", sent };
}

const CONSUME_FORMAT = "%p\t%o\t%k\t%s\n";

async function consumeAll(bootstrap: string, topic: string, extra: string[] = []): Promise<Row[]> {
  const r = await runOk(
    "kcat",
    ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", CONSUME_FORMAT, ...extra],
    { timeoutMs: 180_000 },
  );
  return parseRows(r.stdout);
}

test(
  "kcat: 100,000 keyed messages into 4 partitions, metadata, consume, and again after a SIGTERM restart",
  needs(missing, 600_000),
  async () => {
    assertPresent(missing);
    const dir = tempDir("millrace-interop-kcat-");
    const work = tempDir("millrace-interop-kcat-work-");
    dirs.push(dir, work);
    const topic = "kcat-keyed";
    const N = 100_000;
    let broker = await BrokerProcess.start(dir);
    let admin: KafkaClient | null = null;
    try {
      // This connection stays open across the SIGTERM below: a connected client must not keep the broker from exiting.
      admin = await KafkaClient.connect(broker.bootstrap);
      await admin.createTopic(topic, 4);

      const { text, sent } = keyedInput(N, 1009);
      const file = join(work, "keyed.txt");
      writeFileSync(file, text);
      const produced = await runOk("kcat", ["-b", broker.bootstrap, "-P", "-t", topic, "-K:", "-l", file], {
        timeoutMs: 300_000,
      });
      assert.doesNotMatch(produced.stderr, /fail|error/i, `kcat -P reported:\n${produced.stderr}`);

      // Metadata, as text.
      const list = await runOk("kcat", ["-b", broker.bootstrap, "-L"]);
      const port = broker.bootstrap.split(":").pop();
      assert.match(list.stdout, /1 brokers:/);
      assert.match(list.stdout, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${port}`));
      assert.match(list.stdout, new RegExp(`topic "${topic}" with 4 partitions:`));
      for (let p = 0; p < 4; p++)
        assert.match(list.stdout, new RegExp(`partition ${p}, leader 1, replicas: 1, isrs: 1`), list.stdout);
      assert.doesNotMatch(list.stdout, /err|Broker: /i, list.stdout);

      // Metadata, as JSON (when this kcat was built with JSON support).
      if (kcatHasJson) {
        const json = await runOk("kcat", ["-b", broker.bootstrap, "-L", "-J"]);
        const md = JSON.parse(json.stdout) as {
          brokers: { id: number; name: string }[];
          topics: {
            topic: string;
            partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[];
            error?: string;
          }[];
        };
        assert.deepEqual(md.brokers, [{ id: 1, name: broker.bootstrap }]);
        const t = md.topics.find((x) => x.topic === topic);
        assert.ok(t, `${topic} missing from kcat -L -J: ${json.stdout}`);
        assert.equal(t.error, undefined);
        assert.deepEqual(
          t.partitions.map((p) => [p.partition, p.leader, p.replicas.map((r) => r.id), p.isrs.map((r) => r.id)]),
          [0, 1, 2, 3].map((p) => [p, 1, [1], [1]]),
        );
      } else {
        console.log("# this kcat has no JSON support: -L -J not checked");
      }

      const first = await consumeAll(broker.bootstrap, topic);
      checkKeyed(first, sent, 4, "kcat -C");
      const perPartition = [0, 1, 2, 3].map((p) => first.filter((r) => r.partition === p).length);
      assert.ok(
        perPartition.every((n) => n > 0),
        `every partition gets keys: ${perPartition}`,
      );

      // Restart: SIGTERM flushes and exits 0; the new process serves the same log.
      const exit = await broker.stop("SIGTERM");
      assert.deepEqual(exit, { code: 0, signal: null }, `SIGTERM exit:\n${broker.log()}`);
      await admin.close();
      admin = null;
      broker = await BrokerProcess.start(dir);
      const second = await consumeAll(broker.bootstrap, topic);
      checkKeyed(second, sent, 4, "kcat -C after restart");
      const key = (r: Row) => `${r.partition}/${r.offset}`;
      const before = new Map(first.map((r) => [key(r), `${r.key}:${r.value}`]));
      for (const r of second)
        assert.equal(`${r.key}:${r.value}`, before.get(key(r)), `record ${key(r)} changed across the restart`);

      // The restarted broker appends after the existing data, and kcat reads only the new records from the end.
      const more = await runOk("kcat", ["-b", broker.bootstrap, "-P", "-t", topic, "-K:", "-p", "2"], {
        input: "after:restart\n",
      });
      assert.equal(more.code, 0);
      const tailRows = await consumeAll(broker.bootstrap, topic, ["-p", "2", "-o", "-1"]);
      assert.deepEqual(
        tailRows.map((r) => [r.partition, r.offset, r.key, r.value]),
        [[2, BigInt(perPartition[2]), "after", "restart"]],
      );
      assert.deepEqual(await broker.stop("SIGTERM"), { code: 0, signal: null }, `SIGTERM exit:\n${broker.log()}`);
    } finally {
      await admin?.close();
      await broker.stop("SIGKILL").catch(() => {});
    }
  },
);

const CODECS: [string, CompressionType][] = [
  ["gzip", CompressionType.Gzip],
  ["snappy", CompressionType.Snappy],
  ["lz4", CompressionType.Lz4],
  ["zstd", CompressionType.Zstd],
];

/**
 * librdkafka enables LZ4 only when the broker advertises FindCoordinator v0
 * (rdkafka_feature.c: RD_KAFKA_FEATURE_LZ4 depends on FindCoordinator 0..0, a
 * stand-in for "broker >= 0.8.2"); without it, `-z lz4` batches are sent
 * uncompressed ("Broker does not support compression type lz4: not
 * compressing batch"). Until millrace implements the group APIs that is what
 * this test expects; it tightens by itself once FindCoordinator is advertised.
 */
function librdkafkaLz4(admin: KafkaClient): boolean {
  try {
    return admin.bootstrap.version(ApiKey.FindCoordinator, 0) === 0;
  } catch {
    return false;
  }
}

test(
  "kcat: every compression codec (-z gzip/snappy/lz4/zstd) is stored compressed and consumed back",
  needs(missing, 300_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker();
    dirs.push(tb.dir);
    const admin = await KafkaClient.connect(tb.bootstrap);
    try {
      const lz4 = librdkafkaLz4(admin);
      if (!lz4)
        console.log(
          "# the broker does not advertise FindCoordinator v0, so librdkafka sends -z lz4 batches uncompressed",
        );
      const N = 5_000;
      // Values compress well, so librdkafka never falls back to sending a batch uncompressed.
      const { text, sent } = keyedInput(N, 101, "|" + "compressible ".repeat(20));
      for (const [codec, codecType] of CODECS) {
        const type = codecType === CompressionType.Lz4 && !lz4 ? CompressionType.None : codecType;
        const topic = `kcat-${codec}`;
        await admin.createTopic(topic, 2);
        const produced = await runOk("kcat", ["-b", tb.bootstrap, "-P", "-t", topic, "-K:", "-z", codec], {
          input: text,
          timeoutMs: 120_000,
        });
        assert.doesNotMatch(produced.stderr, /fail|error/i, `kcat -P -z ${codec} reported:\n${produced.stderr}`);

        const rows = await consumeAll(tb.bootstrap, topic);
        checkKeyed(rows, sent, 2, `kcat -C of -z ${codec}`);

        // Stored as sent: every batch keeps librdkafka's compression, and millrace's codec reads it.
        const stored = await readTopic(tb.bootstrap, topic);
        assert.ok(stored.batches.length > 0);
        const codecs = new Set(stored.batches.map((b) => b.compression));
        assert.deepEqual([...codecs], [type], `${codec}: stored batches use compression ${[...codecs]}`);
        checkKeyed(stored.records, sent, 2, `millrace decode of -z ${codec}`);
      }
    } finally {
      await admin.close();
      await tb.stop();
    }
  },
);

test(
  "kcat: acks=all and request.required.acks=-1 are answered after fsync; headers round-trip",
  needs(missing, 300_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker();
    dirs.push(tb.dir);
    const admin = await KafkaClient.connect(tb.bootstrap);
    try {
      const N = 2_000;
      const cases: [string, string, boolean][] = [
        ["kcat-acks-1", "acks=1", false],
        ["kcat-acks-all", "acks=all", true],
        ["kcat-acks-minus1", "request.required.acks=-1", true],
      ];
      for (const [topic, setting, synced] of cases) {
        const acks = ["-X", setting];
        await admin.createTopic(topic, 3, NO_TIMED_FLUSH);
        const { text, sent } = keyedInput(N, 37);
        const produced = await runOk(
          "kcat",
          ["-b", tb.bootstrap, "-P", "-t", topic, "-K:", "-H", "origin=kcat", "-H", `topic=${topic}`, ...acks],
          {
            input: text,
            timeoutMs: 120_000,
          },
        );
        assert.doesNotMatch(produced.stderr, /fail|error/i, `kcat -P ${acks.join(" ")} reported:\n${produced.stderr}`);

        // With flush.ms/flush.messages at "never", only acks=-1 produce requests fsync:
        // after an acknowledged acks=all produce the whole log is on disk, after acks=1 none of it is.
        const t = tb.broker.log.topic(topic)!;
        for (const p of t.partitions) {
          if (synced)
            assert.equal(p.recoveryPoint, p.logEndOffset, `${topic}-${p.partition}: acknowledged but not fsynced`);
          else
            assert.equal(
              p.recoveryPoint,
              0n,
              `${topic}-${p.partition}: acks=1 should not fsync (the check above would prove nothing)`,
            );
        }

        const r = await runOk(
          "kcat",
          ["-b", tb.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p\t%o\t%k\t%s\t%h\n"],
          { timeoutMs: 120_000 },
        );
        const rows = parseRows(r.stdout, true);
        checkKeyed(rows, sent, 3, `kcat -C of ${acks.join(" ")}`);
        for (const row of rows) assert.equal(row.headers, `origin=kcat,topic=${topic}`);

        const stored = await readTopic(tb.bootstrap, topic);
        checkKeyed(stored.records, sent, 3, `millrace decode of ${acks.join(" ")}`);
        for (const rec of stored.records)
          assert.deepEqual(rec.headers, [
            ["origin", "kcat"],
            ["topic", topic],
          ]);
      }
    } finally {
      await admin.close();
      await tb.stop();
    }
  },
);
