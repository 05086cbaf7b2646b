/**
 * The TopicsPort contract: every adapter (embedded, remote) must pass these.
 * `make` returns a fresh port over a fresh broker/log and a cleanup function.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TopicPartition, TopicsPort } from "../../src/topics/port.js";
import { waitFor } from "../helpers/wait.js";

export { waitFor };

export const key = (p: TopicPartition) => `${p.topic}-${p.partition}`;

/** True when the members' assignments cover every partition of `topic` exactly once. */
export function splitsExactly(
  members: { assignment(): TopicPartition[] }[],
  topic: string,
  partitions: number,
): boolean {
  const all = members.flatMap((m) => m.assignment().map(key));
  if (all.length !== partitions || new Set(all).size !== partitions) return false;
  for (let p = 0; p < partitions; p++) if (!all.includes(`${topic}-${p}`)) return false;
  return members.every((m) => m.assignment().length > 0);
}

/** Fast group settings for tests: short heartbeats, the coordinator's minimum session timeout. */
export const FAST = { heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 20_000 } as const;

export function topicsPortContract(
  name: string,
  make: () => Promise<{ port: TopicsPort; cleanup(): Promise<void> }>,
): void {
  const withPort = (fn: (port: TopicsPort) => Promise<void>) => async () => {
    const { port, cleanup } = await make();
    try {
      await fn(port);
    } finally {
      await port.close();
      await cleanup();
    }
  };

  test(
    `${name}: create, describe, list and delete topics`,
    withPort(async (port) => {
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
    }),
  );

  test(
    `${name}: produce then fetch exact offset ranges`,
    withPort(async (port) => {
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
      assert.deepEqual(
        all.records.map((r) => r.value?.toString() ?? null),
        ["1", "2", null, "4", "5"],
      );
      assert.deepEqual(
        all.records.map((r) => r.offset),
        [0n, 1n, 2n, 3n, 4n],
      );
      assert.equal(all.records[0].key?.toString(), "a");
      assert.equal(all.records[0].headers[0].value?.toString(), "x");
      assert.equal(all.records[1].timestamp, BigInt(t0 + 10));
      assert.equal(all.nextOffset, 5n);
      assert.equal(all.highWatermark, 5n);

      // a range that starts and ends inside batches
      const mid = await port.fetch("c2", 1, 1n, { until: 4n });
      assert.deepEqual(
        mid.records.map((r) => r.offset),
        [1n, 2n, 3n],
      );
      assert.equal(mid.nextOffset, 4n);
      const none = await port.fetch("c2", 1, 5n);
      assert.deepEqual(none.records, []);
      assert.equal(none.nextOffset, 5n);
      const empty = await port.fetch("c2", 0, 0n);
      assert.equal(empty.records.length, 0);
    }),
  );

  test(
    `${name}: list offsets: earliest, latest, by timestamp`,
    withPort(async (port) => {
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
    }),
  );

  test(
    `${name}: a fetch at the end waits for new data up to maxWaitMs`,
    withPort(async (port) => {
      await port.createTopic("c4", { partitions: 1 });
      const waiting = port.fetch("c4", 0, 0n, { maxWaitMs: 20_000 });
      await new Promise((r) => setTimeout(r, 50));
      await port.produce("c4", 0, [{ value: "late" }]);
      const res = await waiting;
      assert.deepEqual(
        res.records.map((r) => r.value?.toString()),
        ["late"],
      );
    }),
  );

  test(
    `${name}: commit and fetch group offsets`,
    withPort(async (port) => {
      await port.createTopic("c5", { partitions: 2 });
      await port.produce("c5", 0, [{ value: "a" }, { value: "b" }]);
      assert.deepEqual(await port.fetchOffsets("g1", ["c5"]), []);
      await port.commitOffsets("g1", [
        { topic: "c5", partition: 0, offset: 2n },
        { topic: "c5", partition: 1, offset: 0n },
      ]);
      const got = (await port.fetchOffsets("g1", ["c5"])).sort((a, b) => a.partition - b.partition);
      assert.deepEqual(
        got.map((o) => [o.partition, o.offset]),
        [
          [0, 2n],
          [1, 0n],
        ],
      );
      assert.ok(!(await port.listTopics()).includes("__consumer_offsets"), "internal topics are not listed");
    }),
  );

  test(
    `${name}: idempotent produce keeps offsets dense and records once`,
    withPort(async (port) => {
      await port.createTopic("c6", { partitions: 2 });
      assert.equal(await port.produce("c6", 1, [{ value: "a" }, { value: "b" }], { idempotent: true }), 0n);
      assert.equal(await port.produce("c6", 1, [{ value: "c" }], { idempotent: true }), 2n);
      assert.equal(await port.produce("c6", 0, [{ value: "z" }], { idempotent: true }), 0n);
      // plain and idempotent batches mix in one partition
      assert.equal(await port.produce("c6", 1, [{ value: "d" }]), 3n);
      const many = await Promise.all(
        Array.from({ length: 5 }, (_, i) => port.produce("c6", 1, [{ value: `p${i}` }], { idempotent: true })),
      );
      assert.deepEqual(
        [...many].sort((x, y) => Number(x - y)),
        [4n, 5n, 6n, 7n, 8n],
      );
      const got = await port.fetch("c6", 1, 0n);
      assert.deepEqual(
        got.records.map((r) => r.offset),
        [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n],
      );
      assert.deepEqual(
        got.records.slice(0, 4).map((r) => r.value?.toString()),
        ["a", "b", "c", "d"],
      );
    }),
  );

  test(
    `${name}: two members split a 4-partition topic; when one leaves the other owns all four`,
    withPort(async (port) => {
      await port.createTopic("g1", { partitions: 4 });
      const events: string[] = [];
      const a = await port.joinGroup("grp1", ["g1"], {
        ...FAST,
        onAssigned: (parts) => void events.push(`assigned ${parts.map(key).join(",")}`),
        onRevoked: (parts) => void events.push(`revoked ${parts.map(key).join(",")}`),
      });
      assert.deepEqual(a.assignment().map(key), ["g1-0", "g1-1", "g1-2", "g1-3"], "a lone member owns every partition");
      assert.ok(a.memberId.length > 0);
      const gen1 = a.generationId;
      const b = await port.joinGroup("grp1", ["g1"], FAST);
      await waitFor(() => splitsExactly([a, b], "g1", 4), "the two members to split g1");
      assert.equal(a.assignment().length, 2, "range gives 2 partitions each");
      assert.equal(b.assignment().length, 2);
      assert.equal(a.generationId, b.generationId);
      assert.ok(a.generationId > gen1, "the rebalance started a new generation");
      // a's partitions were revoked before the new assignment
      assert.deepEqual(events.slice(0, 2), ["assigned g1-0,g1-1,g1-2,g1-3", "revoked g1-0,g1-1,g1-2,g1-3"]);
      assert.match(events[2], /^assigned g1-\d,g1-\d$/);

      await b.leave();
      assert.deepEqual(b.assignment(), []);
      await waitFor(() => a.assignment().length === 4, "a to own all four partitions again");
      assert.ok(splitsExactly([a], "g1", 4));
      await a.leave();
    }),
  );

  test(
    `${name}: a member's commit is seen by fetchOffsets and committed()`,
    withPort(async (port) => {
      await port.createTopic("g2", { partitions: 2 });
      await port.produce("g2", 0, [{ value: "a" }, { value: "b" }, { value: "c" }]);
      const m = await port.joinGroup("grp2", ["g2"], FAST);
      await m.commit([
        { topic: "g2", partition: 0, offset: 3n, metadata: "m" },
        { topic: "g2", partition: 1, offset: 0n },
      ]);
      const got = (await port.fetchOffsets("grp2", ["g2"])).sort((x, y) => x.partition - y.partition);
      assert.deepEqual(
        got.map((o) => [o.partition, o.offset]),
        [
          [0, 3n],
          [1, 0n],
        ],
      );
      assert.equal(got[0].metadata, "m");
      const mine = (await m.committed()).sort((x, y) => x.partition - y.partition);
      assert.deepEqual(
        mine.map((o) => [o.partition, o.offset]),
        [
          [0, 3n],
          [1, 0n],
        ],
      );
      // while the group has members, a commit from outside the group is refused (as Kafka does)
      await assert.rejects(port.commitOffsets("grp2", [{ topic: "g2", partition: 0, offset: 1n }]));
      await m.leave();
      await assert.rejects(m.commit([{ topic: "g2", partition: 0, offset: 1n }]), { code: "MR_TOPICS_GROUP_LEFT" });
      // once the group is empty, a standalone commit works again
      await port.commitOffsets("grp2", [{ topic: "g2", partition: 0, offset: 1n }]);
      assert.equal((await port.fetchOffsets("grp2", ["g2"])).find((o) => o.partition === 0)?.offset, 1n);
    }),
  );

  test(
    `${name}: a member of an old generation cannot commit`,
    withPort(async (port) => {
      await port.createTopic("g3", { partitions: 4 });
      // `stale` heartbeats too rarely to notice the next rebalance within its (short) rebalance timeout,
      // so the group moves on to a new generation without it.
      const stale = await port.joinGroup("grp3", ["g3"], {
        heartbeatIntervalMs: 600_000,
        sessionTimeoutMs: 600_000,
        rebalanceTimeoutMs: 1000,
      });
      const oldGeneration = stale.generationId;
      const fresh = await port.joinGroup("grp3", ["g3"], { ...FAST, rebalanceTimeoutMs: 1000 });
      assert.ok(fresh.generationId > oldGeneration);
      assert.equal(fresh.assignment().length, 4, "the member that rejoined owns everything");
      assert.equal(stale.generationId, oldGeneration, "the stale member still believes in its generation");
      await assert.rejects(
        stale.commit([{ topic: "g3", partition: 0, offset: 1n }]),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, "MR_TOPICS_GROUP_FENCED");
          return true;
        },
      );
      // the fresh member's commit is accepted, and nothing of the stale one was stored
      await fresh.commit([{ topic: "g3", partition: 1, offset: 2n }]);
      const got = await port.fetchOffsets("grp3", ["g3"]);
      assert.deepEqual(
        got.map((o) => [o.partition, o.offset]),
        [[1, 2n]],
      );
      // the fenced member rejoins on its own: the two end up sharing the topic again
      await waitFor(() => splitsExactly([stale, fresh], "g3", 4), "the fenced member to rejoin and share g3");
      await Promise.all([stale.leave(), fresh.leave()]);
    }),
  );

  test(
    `${name}: a join the coordinator refuses, or a failing onAssigned, rejects joinGroup and leaves nothing behind`,
    withPort(async (port) => {
      await port.createTopic("g4", { partitions: 2 });
      // below group.min.session.timeout.ms (6000): INVALID_SESSION_TIMEOUT
      await assert.rejects(port.joinGroup("grp4", ["g4"], { ...FAST, sessionTimeoutMs: 10 }), {
        code: "MR_TOPICS_GROUP_JOIN",
      });
      await assert.rejects(port.joinGroup("grp4", [], FAST), { code: "MR_TOPICS_GROUP_TOPICS" });
      await assert.rejects(
        port.joinGroup("grp4", ["g4"], {
          ...FAST,
          onAssigned: () => {
            throw new Error("app failed");
          },
        }),
        /app failed/,
      );
      // the failed member left the group: a new one is alone and owns both partitions
      const m = await port.joinGroup("grp4", ["g4"], FAST);
      assert.equal(m.assignment().length, 2);
      await m.leave();
    }),
  );
}
