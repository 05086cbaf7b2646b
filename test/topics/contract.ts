/**
 * The TopicsPort contract: every adapter (embedded, remote) must pass these.
 * `make` returns a fresh port over a fresh broker/log and a cleanup function.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TopicsPort } from "../../src/topics/port.js";

export function topicsPortContract(name: string, make: () => Promise<{ port: TopicsPort; cleanup(): Promise<void> }>): void {
  const withPort = (fn: (port: TopicsPort) => Promise<void>) => async () => {
    const { port, cleanup } = await make();
    try {
      await fn(port);
    } finally {
      await port.close();
      await cleanup();
    }
  };

  test(`${name}: create, describe, list and delete topics`, withPort(async (port) => {
    await port.createTopic("c1", { partitions: 3, configs: { "retention.ms": "3600000" } });
    await port.createTopic("c1", { partitions: 3, ifNotExists: true });
    await assert.rejects(port.createTopic("c1", { partitions: 3 }));
    const d = await port.describeTopic("c1");
    assert.equal(d?.partitions, 3);
    assert.equal(d?.configs["retention.ms"], "3600000");
    assert.equal(await port.describeTopic("missing"), null);
    assert.ok((await port.listTopics()).includes("c1"));
    await port.deleteTopic("c1");
    assert.ok(!(await port.listTopics()).includes("c1"));
  }));

  test(`${name}: produce then fetch exact offset ranges`, withPort(async (port) => {
    await port.createTopic("c2", { partitions: 2 });
    const t0 = Date.now();
    const base = await port.produce("c2", 1, [
      { key: "a", value: "1", timestamp: t0, headers: [{ key: "h", value: Buffer.from("x") }] },
      { key: null, value: "2", timestamp: t0 + 10 },
      { key: "c", value: null, timestamp: t0 + 20 },
    ]);
    assert.equal(base, 0n);
    assert.equal(await port.produce("c2", 1, [{ value: "4" }, { value: "5" }], { acks: 1 }), 3n);

    const all = await port.fetch("c2", 1, 0n);
    assert.deepEqual(all.records.map((r) => r.value?.toString() ?? null), ["1", "2", null, "4", "5"]);
    assert.deepEqual(all.records.map((r) => r.offset), [0n, 1n, 2n, 3n, 4n]);
    assert.equal(all.records[0].key?.toString(), "a");
    assert.equal(all.records[0].headers[0].value?.toString(), "x");
    assert.equal(all.records[1].timestamp, BigInt(t0 + 10));
    assert.equal(all.nextOffset, 5n);
    assert.equal(all.highWatermark, 5n);

    // a range that starts and ends inside batches
    const mid = await port.fetch("c2", 1, 1n, { until: 4n });
    assert.deepEqual(mid.records.map((r) => r.offset), [1n, 2n, 3n]);
    assert.equal(mid.nextOffset, 4n);
    const none = await port.fetch("c2", 1, 5n);
    assert.deepEqual(none.records, []);
    assert.equal(none.nextOffset, 5n);
    const empty = await port.fetch("c2", 0, 0n);
    assert.equal(empty.records.length, 0);
  }));

  test(`${name}: list offsets: earliest, latest, by timestamp`, withPort(async (port) => {
    await port.createTopic("c3", { partitions: 1 });
    const t0 = Date.now() - 60_000;
    await port.produce("c3", 0, [
      { value: "a", timestamp: t0 },
      { value: "b", timestamp: t0 + 1000 },
    ]);
    await port.produce("c3", 0, [{ value: "c", timestamp: t0 + 5000 }]);
    assert.equal(await port.listOffset("c3", 0, "earliest"), 0n);
    assert.equal(await port.listOffset("c3", 0, "latest"), 3n);
    assert.equal(await port.listOffset("c3", 0, { timestamp: t0 + 500 }), 1n);
    assert.equal(await port.listOffset("c3", 0, { timestamp: t0 + 2000 }), 2n);
    assert.equal(await port.listOffset("c3", 0, { timestamp: t0 + 10_000 }), -1n);
  }));

  test(`${name}: a fetch at the end waits for new data up to maxWaitMs`, withPort(async (port) => {
    await port.createTopic("c4", { partitions: 1 });
    const waiting = port.fetch("c4", 0, 0n, { maxWaitMs: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
    await port.produce("c4", 0, [{ value: "late" }]);
    const res = await waiting;
    assert.deepEqual(res.records.map((r) => r.value?.toString()), ["late"]);
  }));

  test(`${name}: commit and fetch group offsets`, withPort(async (port) => {
    await port.createTopic("c5", { partitions: 2 });
    await port.produce("c5", 0, [{ value: "a" }, { value: "b" }]);
    assert.deepEqual(await port.fetchOffsets("g1", ["c5"]), []);
    await port.commitOffsets("g1", [{ topic: "c5", partition: 0, offset: 2n }, { topic: "c5", partition: 1, offset: 0n }]);
    const got = (await port.fetchOffsets("g1", ["c5"])).sort((a, b) => a.partition - b.partition);
    assert.deepEqual(got.map((o) => [o.partition, o.offset]), [[0, 2n], [1, 0n]]);
    assert.ok(!(await port.listTopics()).includes("__consumer_offsets"), "internal topics are not listed");
  }));
}
