import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LogManager, LogError, validateTopicName } from "../../src/log/index.js";
import { buildBatch, payload, withTempDir } from "./helpers.js";

const code = (c: string) => (e: unknown) => e instanceof LogError && e.code === c;

test("topic names follow Kafka's rules", () => {
  for (const ok of ["a", "my-topic", "my_topic.v2", "A".repeat(249), "__consumer_offsets"]) validateTopicName(ok);
  for (const bad of ["", ".", "..", "a/b", "a b", "ü", "A".repeat(250), "a:b"]) {
    assert.throws(() => validateTopicName(bad), code("MR_LOG_INVALID_TOPIC"), bad);
  }
});

test("createTopic validates, and topics persist across reopen with id and overrides", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir, defaults: { "retention.ms": 1000 } });
    const t = await m.createTopic("orders", 3, { "retention.bytes": "12345", "cleanup.policy": "compact,delete" });
    assert.equal(t.id.length, 16);
    assert.equal(t.partitions.length, 3);
    assert.deepEqual(t.configs, { "retention.bytes": "12345", "cleanup.policy": "compact,delete" });
    assert.equal(t.config["retention.bytes"], 12345);
    assert.equal(t.config["retention.ms"], 1000, "manager defaults apply");
    assert.equal(t.config["segment.bytes"], 1073741824, "Kafka defaults apply");
    await assert.rejects(m.createTopic("orders", 1), code("MR_LOG_TOPIC_EXISTS"));
    await assert.rejects(m.createTopic("bad name", 1), code("MR_LOG_INVALID_TOPIC"));
    await assert.rejects(m.createTopic("x", 0), code("MR_LOG_INVALID_PARTITIONS"));
    await assert.rejects(m.createTopic("x", 1, { "no.such.config": "1" }), code("MR_LOG_INVALID_CONFIG"));
    await assert.rejects(m.createTopic("x", 1, { "retention.ms": "soon" }), code("MR_LOG_INVALID_CONFIG"));
    await assert.rejects(m.createTopic("x", 1, { "cleanup.policy": "shred" }), code("MR_LOG_INVALID_CONFIG"));
    await assert.rejects(m.createTopic("x", 1, { "segment.bytes": "1" }), code("MR_LOG_INVALID_CONFIG"));
    await m.createTopic("a.b", 1);
    await assert.rejects(m.createTopic("a_b", 1), code("MR_LOG_INVALID_TOPIC"));
    assert.equal(m.topic("x"), undefined);
    // concurrent creates of one name: exactly one wins
    const results = await Promise.allSettled([m.createTopic("race", 1), m.createTopic("race", 1)]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);

    const pl = payload(buildBatch({ count: 3, keys: ["k0", "k1", "k2"] })); // a compacted topic: records need keys
    await t.partitions[1].append(pl.buf, pl.batches, { sync: true });
    await m.close();

    m = await LogManager.open({ dir, defaults: { "retention.ms": 1000 } });
    try {
      const t2 = m.topic("orders")!;
      assert.deepEqual(t2.id, t.id);
      assert.equal(t2.partitions.length, 3);
      assert.deepEqual(t2.configs, t.configs);
      assert.equal(m.partition("orders", 1)!.highWatermark, 3n);
      assert.equal(m.partition("orders", 3), undefined);
      assert.deepEqual(
        m
          .topics()
          .map((x) => x.name)
          .sort(),
        ["a.b", "orders", "race"],
      );
      // Kafka's partition.metadata
      const meta = await readFile(join(dir, "orders-0", "partition.metadata"), "utf8");
      assert.equal(meta, `version: 0\ntopic_id: ${t.id.toString("base64url")}\n`);
      assert.equal(t.id.toString("base64url").length, 22);
      // meta.properties carries a cluster id
      const props = await readFile(join(dir, "meta.properties"), "utf8");
      assert.match(props, new RegExp(`cluster.id=${m.clusterId}`));
      assert.match(props, /version=1/);
      assert.match(props, /node.id=1/);
    } finally {
      await m.close();
    }
  });
});

test("deleteTopic renames partition dirs to -delete and removes them; the name can be reused", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const t = await m.createTopic("gone", 2, { "file.delete.delay.ms": "60000" });
    const p = t.partitions[0];
    const pl = payload(buildBatch({ count: 3 }));
    await p.append(pl.buf, pl.batches, { sync: false });
    await m.deleteTopic("gone");
    assert.equal(m.topic("gone"), undefined);
    await assert.rejects(p.read(0n, 100), code("MR_LOG_UNKNOWN_TOPIC"));
    await assert.rejects(p.append(pl.buf, pl.batches, { sync: false }), code("MR_LOG_UNKNOWN_TOPIC"));
    await assert.rejects(m.deleteTopic("gone"), code("MR_LOG_UNKNOWN_TOPIC"));
    const names = await readdir(dir);
    assert.ok(!names.includes("gone-0"));
    assert.equal(names.filter((n) => /^gone-[01]\.[0-9a-f]{32}-delete$/.test(n)).length, 2);
    const again = await m.createTopic("gone", 1);
    assert.notDeepEqual(again.id, t.id);
    assert.equal(again.partitions[0].highWatermark, 0n);
    await m.close(); // finishes pending deletions
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith("gone")),
      ["gone-0"],
    );
    m = await LogManager.open({ dir });
    try {
      assert.deepEqual(m.topic("gone")!.id, again.id);
      assert.equal(m.partition("gone", 0)!.highWatermark, 0n);
    } finally {
      await m.close();
    }
  });
});

test("alterTopicConfig replaces or merges overrides and persists them", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    await m.createTopic("t", 1, { "retention.ms": "1000", "segment.bytes": "100000" });
    await m.alterTopicConfig("t", { "retention.bytes": "5" }, "merge");
    assert.deepEqual(m.topic("t")!.configs, {
      "retention.ms": "1000",
      "segment.bytes": "100000",
      "retention.bytes": "5",
    });
    await m.alterTopicConfig("t", { "retention.ms": null }, "merge");
    assert.equal(m.topic("t")!.config["retention.ms"], 604800000);
    await m.alterTopicConfig("t", { "max.message.bytes": "2000" });
    assert.deepEqual(m.topic("t")!.configs, { "max.message.bytes": "2000" });
    assert.equal(m.partition("t", 0)!.config["max.message.bytes"], 2000, "partitions see the new config");
    await assert.rejects(m.alterTopicConfig("t", { "retention.ms": "x" }), code("MR_LOG_INVALID_CONFIG"));
    await assert.rejects(m.alterTopicConfig("nope", {}), code("MR_LOG_UNKNOWN_TOPIC"));
    await m.close();
    m = await LogManager.open({ dir });
    try {
      assert.deepEqual(m.topic("t")!.configs, { "max.message.bytes": "2000" });
    } finally {
      await m.close();
    }
  });
});

test("addPartitions grows a topic", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    await m.createTopic("t", 1);
    await m.addPartitions("t", 3);
    assert.equal(m.topic("t")!.partitions.length, 3);
    await assert.rejects(m.addPartitions("t", 2), code("MR_LOG_INVALID_PARTITIONS"));
    await m.close();
    m = await LogManager.open({ dir });
    try {
      assert.equal(m.topic("t")!.partitions.length, 3);
      assert.equal(m.partition("t", 2)!.highWatermark, 0n);
    } finally {
      await m.close();
    }
  });
});

test("a Kafka-layout directory without the topics file is adopted; unknown dirs are moved aside", async () => {
  await withTempDir(async (dir) => {
    let m = await LogManager.open({ dir });
    const t = await m.createTopic("k", 2);
    const pl = payload(buildBatch({ count: 2 }));
    await t.partitions[1].append(pl.buf, pl.batches, { sync: true });
    await m.close();
    const { unlink } = await import("node:fs/promises");
    await unlink(join(dir, "millrace-topics.json"));
    m = await LogManager.open({ dir });
    const k = m.topic("k")!;
    assert.deepEqual(k.id, t.id, "topic id from partition.metadata");
    assert.equal(k.partitions.length, 2);
    assert.equal(k.partitions[1].highWatermark, 2n);
    await m.close();
    await mkdir(join(dir, "unknown-0"));
    await writeFile(join(dir, "unknown-0", "00000000000000000000.log"), "");
    m = await LogManager.open({ dir });
    try {
      assert.equal(m.topic("unknown"), undefined);
      assert.ok((await readdir(dir)).some((n) => /^unknown-0\.[0-9a-f]{32}-stray$/.test(n)));
    } finally {
      await m.close();
    }
  });
});

test("checkpoint files use Kafka's text format", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    const t = await m.createTopic("c", 2);
    const pl = payload(buildBatch({ count: 4 }));
    await t.partitions[0].append(pl.buf, pl.batches, { sync: true });
    await m.close();
    const rp = (await readFile(join(dir, "recovery-point-offset-checkpoint"), "utf8")).split("\n");
    assert.equal(rp[0], "0");
    assert.equal(rp[1], "2");
    assert.deepEqual(rp.slice(2, 4).sort(), ["c 0 4", "c 1 0"]);
    const ls = (await readFile(join(dir, "log-start-offset-checkpoint"), "utf8")).split("\n");
    assert.deepEqual(ls.slice(0, 2), ["0", "2"]);
  });
});

test("closed managers refuse work; a second process cannot take the directory", async () => {
  await withTempDir(async (dir) => {
    const m = await LogManager.open({ dir });
    const t = await m.createTopic("t", 1);
    await m.close();
    await assert.rejects(m.createTopic("u", 1), code("MR_LOG_CLOSED"));
    const pl = payload(buildBatch({ count: 1 }));
    await assert.rejects(t.partitions[0].append(pl.buf, pl.batches, { sync: false }), code("MR_LOG_CLOSED"));
    // a live foreign pid in the lock file
    await writeFile(join(dir, "millrace.lock"), `${process.ppid}\n`);
    await assert.rejects(LogManager.open({ dir }), code("MR_LOG_LOCKED"));
  });
});
