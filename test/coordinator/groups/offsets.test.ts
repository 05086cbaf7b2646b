import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/protocol/errors.js";
import {
  InMemoryGroupStore,
  decodeKey,
  decodeOffsetCommitValue,
  type GroupStoreRecord,
  type OffsetCommitRequest,
} from "../../../src/coordinator/groups/index.js";
import { GROUP, SESSION, flush, harness, joinNew, joinReq, stableGroup, subscription } from "./helpers.js";

const E = ErrorCode;
const DAY = 24 * 60 * 60 * 1000;

function commitReq(
  over: Partial<OffsetCommitRequest> & { offsets?: [string, number, bigint][] } = {},
): OffsetCommitRequest {
  const { offsets = [["t1", 0, 10n]], ...rest } = over;
  const topics = new Map<string, OffsetCommitRequest["topics"][number]>();
  for (const [name, partitionIndex, committedOffset] of offsets) {
    if (!topics.has(name)) topics.set(name, { name, partitions: [] });
    topics.get(name)!.partitions.push({ partitionIndex, committedOffset, committedMetadata: `m${partitionIndex}` });
  }
  return { groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: "", topics: [...topics.values()], ...rest };
}

const errors = (r: { topics: { partitions: { errorCode: number }[] }[] }) =>
  r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

/** A store whose appends wait until released. */
class GatedStore extends InMemoryGroupStore {
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = null;
  }
  override async append(partition: number, records: GroupStoreRecord[]): Promise<void> {
    if (this.gate) await this.gate;
    return super.append(partition, records);
  }
}

describe("OffsetCommit / OffsetFetch", () => {
  it("members commit with their generation; fetch returns listed or all partitions", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const r = await h.coord.commitOffsets(
      commitReq({
        generationIdOrMemberEpoch: 1,
        memberId: g.members[1],
        offsets: [
          ["t1", 0, 10n],
          ["t1", 1, 11n],
          ["t2", 0, 20n],
        ],
      }),
    );
    assert.deepEqual(r, {
      topics: [
        {
          name: "t1",
          partitions: [
            { partitionIndex: 0, errorCode: E.NONE },
            { partitionIndex: 1, errorCode: E.NONE },
          ],
        },
        { name: "t2", partitions: [{ partitionIndex: 0, errorCode: E.NONE }] },
      ],
    });
    const listed = await h.coord.fetchOffsets({ groupId: GROUP, topics: [{ name: "t1", partitionIndexes: [1, 5] }] });
    assert.deepEqual(listed, {
      errorCode: E.NONE,
      topics: [
        {
          name: "t1",
          partitions: [
            { partitionIndex: 1, committedOffset: 11n, committedLeaderEpoch: -1, metadata: "m1", errorCode: E.NONE },
            { partitionIndex: 5, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: E.NONE },
          ],
        },
      ],
    });
    const all = await h.coord.fetchOffsets({ groupId: GROUP, topics: null });
    assert.deepEqual(
      all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
      [
        [
          "t1",
          [
            [0, 10n],
            [1, 11n],
          ],
        ],
        ["t2", [[0, 20n]]],
      ],
    );
    // a later commit replaces the offset; leader epoch and null metadata
    await h.coord.commitOffsets({
      groupId: GROUP,
      generationIdOrMemberEpoch: 1,
      memberId: g.members[0],
      topics: [
        {
          name: "t1",
          partitions: [{ partitionIndex: 0, committedOffset: 15n, committedLeaderEpoch: 3, committedMetadata: null }],
        },
      ],
    });
    const p0 = (await h.coord.fetchOffsets({ groupId: GROUP, topics: [{ name: "t1", partitionIndexes: [0] }] }))
      .topics[0].partitions[0];
    assert.deepEqual(p0, {
      partitionIndex: 0,
      committedOffset: 15n,
      committedLeaderEpoch: 3,
      metadata: "",
      errorCode: E.NONE,
    });
    await h.coord.close();
  });

  it("commits are written as OffsetCommitKey v1 / OffsetCommitValue v3 to the group's partition", async () => {
    const h = await harness();
    await h.coord.commitOffsets(commitReq({ groupId: "spark-kafka-source" }));
    const [p] = [...h.store.partitions.keys()];
    assert.equal(p, 12);
    assert.equal(h.coord.findCoordinatorPartition("spark-kafka-source"), 12);
    const [rec] = h.store.partitions.get(12)!;
    assert.deepEqual(decodeKey(rec.key), {
      type: "offset",
      version: 1,
      key: { group: "spark-kafka-source", topic: "t1", partition: 0 },
    });
    const v = decodeOffsetCommitValue(rec.value!);
    assert.equal(v.version, 3);
    assert.deepEqual(v.value, {
      offset: 10n,
      leaderEpoch: -1,
      metadata: "m0",
      commitTimestamp: BigInt(h.sched.now()),
      expireTimestamp: -1n,
    });
    await h.coord.close();
  });

  it("standalone commits (generation -1, no member id) only while the group is Empty or absent", async () => {
    const h = await harness();
    // no group: created, Empty
    assert.deepEqual(errors(await h.coord.commitOffsets(commitReq())), [E.NONE]);
    assert.equal(h.coord.groupState(GROUP), "Empty");
    // a generation for a group that does not exist
    assert.deepEqual(
      errors(await h.coord.commitOffsets(commitReq({ groupId: "nope", generationIdOrMemberEpoch: 3, memberId: "m" }))),
      [E.ILLEGAL_GENERATION],
    );
    assert.equal(h.coord.groupState("nope"), undefined);
    // a member id without generation, group absent: unknown member, and no group is left behind
    assert.deepEqual(errors(await h.coord.commitOffsets(commitReq({ groupId: "nope", memberId: "m" }))), [
      E.UNKNOWN_MEMBER_ID,
    ]);
    assert.equal(h.coord.groupState("nope"), undefined);
    // the empty group id is accepted by OffsetCommit (Kafka's backwards compatibility)
    assert.deepEqual(errors(await h.coord.commitOffsets(commitReq({ groupId: "" }))), [E.NONE]);

    // once the group has members, standalone commits are refused
    const h2 = await harness();
    await stableGroup(h2, 1);
    assert.deepEqual(errors(await h2.coord.commitOffsets(commitReq())), [E.UNKNOWN_MEMBER_ID]);
    await h.coord.close();
    await h2.coord.close();
  });

  it("member commits are fenced by generation, member id and rebalance state", async () => {
    const h = await harness();
    const g = await stableGroup(h, 1);
    assert.deepEqual(
      errors(await h.coord.commitOffsets(commitReq({ generationIdOrMemberEpoch: 0, memberId: g.leader }))),
      [E.ILLEGAL_GENERATION],
    );
    assert.deepEqual(
      errors(await h.coord.commitOffsets(commitReq({ generationIdOrMemberEpoch: 1, memberId: "ghost" }))),
      [E.UNKNOWN_MEMBER_ID],
    );
    // a second member joins: the rebalance completes when the leader rejoins
    const b = await joinNew(h.coord);
    const rejoin = h.coord.joinGroup(joinReq({ memberId: g.leader }));
    await Promise.all([rejoin, b.join]);
    assert.equal(h.coord.groupState(GROUP), "CompletingRebalance");
    assert.deepEqual(
      errors(await h.coord.commitOffsets(commitReq({ generationIdOrMemberEpoch: 2, memberId: g.leader }))),
      [E.REBALANCE_IN_PROGRESS],
    );
    assert.deepEqual(
      errors(await h.coord.commitOffsets(commitReq({ generationIdOrMemberEpoch: 1, memberId: g.leader }))),
      [E.ILLEGAL_GENERATION],
    );
    await h.coord.close();
  });

  it("a commit from an Empty group's former member is refused", async () => {
    const h = await harness();
    const g = await stableGroup(h, 1);
    await h.coord.leaveGroup({ groupId: GROUP, members: [{ memberId: g.leader }] });
    assert.equal(h.coord.groupState(GROUP), "Empty");
    assert.deepEqual(
      errors(await h.coord.commitOffsets(commitReq({ generationIdOrMemberEpoch: 1, memberId: g.leader }))),
      [E.UNKNOWN_MEMBER_ID],
    );
    assert.deepEqual(errors(await h.coord.commitOffsets(commitReq())), [E.NONE], "standalone commits are fine again");
    await h.coord.close();
  });

  it("metadata longer than offset.metadata.max.bytes fails that partition only", async () => {
    const h = await harness({ config: { offsetMetadataMaxBytes: 4 } });
    const r = await h.coord.commitOffsets({
      groupId: GROUP,
      topics: [
        {
          name: "t",
          partitions: [
            { partitionIndex: 0, committedOffset: 1n, committedMetadata: "12345" },
            { partitionIndex: 1, committedOffset: 2n, committedMetadata: "1234" },
          ],
        },
      ],
    });
    assert.deepEqual(errors(r), [E.OFFSET_METADATA_TOO_LARGE, E.NONE]);
    const f = await h.coord.fetchOffsets({ groupId: GROUP, topics: [{ name: "t", partitionIndexes: [0, 1] }] });
    assert.deepEqual(
      f.topics[0].partitions.map((p) => p.committedOffset),
      [-1n, 2n],
    );
    const all = await h.coord.commitOffsets({
      groupId: GROUP,
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "12345" }] }],
    });
    assert.deepEqual(errors(all), [E.OFFSET_METADATA_TOO_LARGE]);
    await h.coord.close();
  });

  it("a failed append answers NOT_COORDINATOR (storage error) and leaves the offset unchanged", async () => {
    const h = await harness();
    await h.coord.commitOffsets(commitReq({ offsets: [["t1", 0, 1n]] }));
    h.store.failWith = new Error("EIO");
    assert.deepEqual(errors(await h.coord.commitOffsets(commitReq({ offsets: [["t1", 0, 2n]] }))), [E.NOT_COORDINATOR]);
    h.store.failWith = Object.assign(new Error("too big"), { errorCode: E.RECORD_LIST_TOO_LARGE });
    assert.deepEqual(errors(await h.coord.commitOffsets(commitReq({ offsets: [["t1", 0, 3n]] }))), [
      E.INVALID_COMMIT_OFFSET_SIZE,
    ]);
    h.store.failWith = null;
    const f = await h.coord.fetchOffsets({ groupId: GROUP, topics: [{ name: "t1", partitionIndexes: [0] }] });
    assert.equal(f.topics[0].partitions[0].committedOffset, 1n);
    await h.coord.close();
  });

  it("requireStable: a partition with a commit being written is UNSTABLE_OFFSET_COMMIT", async () => {
    const store = new GatedStore();
    const h = await harness({ store });
    await h.coord.commitOffsets(commitReq({ offsets: [["t1", 0, 1n]] }));
    store.hold();
    const pending = h.coord.commitOffsets(commitReq({ offsets: [["t1", 0, 2n]] }));
    const req = { groupId: GROUP, topics: [{ name: "t1", partitionIndexes: [0] }] };
    const stable = await h.coord.fetchOffsets({ ...req, requireStable: true });
    assert.deepEqual(stable.topics[0].partitions[0], {
      partitionIndex: 0,
      committedOffset: -1n,
      committedLeaderEpoch: -1,
      metadata: "",
      errorCode: E.UNSTABLE_OFFSET_COMMIT,
    });
    const plain = await h.coord.fetchOffsets(req);
    assert.equal(plain.topics[0].partitions[0].committedOffset, 1n, "the committed offset until the write lands");
    store.release();
    assert.deepEqual(errors(await pending), [E.NONE]);
    assert.equal(
      (await h.coord.fetchOffsets({ ...req, requireStable: true })).topics[0].partitions[0].committedOffset,
      2n,
    );
    await h.coord.close();
  });

  it("fetching a group that does not exist returns -1 for the listed partitions", async () => {
    const h = await harness();
    const f = await h.coord.fetchOffsets({ groupId: "none", topics: [{ name: "t", partitionIndexes: [0] }] });
    assert.deepEqual(f, {
      errorCode: E.NONE,
      topics: [
        {
          name: "t",
          partitions: [
            { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: E.NONE },
          ],
        },
      ],
    });
    assert.deepEqual(await h.coord.fetchOffsets({ groupId: "none", topics: null }), { errorCode: E.NONE, topics: [] });
    await h.coord.close();
  });
});

describe("offset retention", () => {
  it("an Empty group's offsets expire offsets.retention.ms after it became Empty; the group then goes", async () => {
    const h = await harness({ config: { offsetsRetentionMs: 7 * DAY, offsetsRetentionCheckIntervalMs: 600_000 } });
    const g = await stableGroup(h, 1);
    await h.coord.commitOffsets(commitReq({ generationIdOrMemberEpoch: 1, memberId: g.leader }));
    h.sched.advance(SESSION); // the member's session expires: the group becomes Empty 10s after the commit
    await flush();
    assert.equal(h.coord.groupState(GROUP), "Empty");
    h.sched.advance(7 * DAY - SESSION); // 7 days after the commit, 7 days minus 10s after becoming Empty
    await flush();
    assert.equal(h.coord.groupState(GROUP), "Empty", "not yet: retention counts from becoming Empty");
    h.sched.advance(600_000); // the next retention pass
    await flush();
    assert.equal(h.coord.groupState(GROUP), undefined);
    const f = await h.coord.fetchOffsets({ groupId: GROUP, topics: null });
    assert.deepEqual(f.topics, []);
    // tombstones: the offset and the group (it had a generation)
    const tail = h.store.all().slice(-2);
    assert.deepEqual(
      tail.map((r) => [decodeKey(r.key).type, r.value]),
      [
        ["offset", null],
        ["group", null],
      ],
    );
    await h.coord.close();
  });

  it("a standalone group's offsets expire retention after their commit, with no group tombstone", async () => {
    const h = await harness({ config: { offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 60_000 } });
    await h.coord.commitOffsets(commitReq({ offsets: [["t", 0, 1n]] }));
    h.sched.advance(DAY / 2);
    await h.coord.commitOffsets(commitReq({ offsets: [["t", 1, 1n]] }));
    h.sched.advance(DAY / 2);
    await flush();
    const f = await h.coord.fetchOffsets({ groupId: GROUP, topics: null });
    assert.deepEqual(
      f.topics.map((t) => t.partitions.map((p) => p.partitionIndex)),
      [[1]],
    );
    h.sched.advance(DAY / 2);
    await flush();
    assert.equal(h.coord.groupState(GROUP), undefined);
    assert.ok(h.store.all().every((r) => decodeKey(r.key).type === "offset"));
    await h.coord.close();
  });

  it("a Stable consumer group keeps offsets of subscribed topics; others expire after their commit", async () => {
    const h = await harness({ config: { offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 60_000 } });
    const session = 1_000_000;
    const g = await stableGroup(h, 1, { sessionTimeoutMs: session }); // subscribed to t1
    await h.coord.commitOffsets(
      commitReq({
        generationIdOrMemberEpoch: 1,
        memberId: g.leader,
        offsets: [
          ["t1", 0, 1n],
          ["old", 0, 1n],
        ],
      }),
    );
    for (let t = 0; t < DAY + 60_000; t += session / 2) {
      h.sched.advance(session / 2);
      await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: g.leader });
    }
    const f = await h.coord.fetchOffsets({ groupId: GROUP, topics: null });
    assert.deepEqual(
      f.topics.map((t) => t.name),
      ["t1"],
    );
    await h.coord.close();
  });

  it(
    "a commit with retentionTimeMs (v2-4) is written as OffsetCommitValue v1 and expires at its own " + "time",
    async () => {
      const h = await harness({ config: { offsetsRetentionMs: 100 * DAY, offsetsRetentionCheckIntervalMs: 1000 } });
      await h.coord.commitOffsets({ ...commitReq(), retentionTimeMs: 5000n });
      const v = decodeOffsetCommitValue(h.store.all()[0].value!);
      assert.equal(v.version, 1);
      assert.equal(v.value.expireTimestamp, v.value.commitTimestamp + 5000n);
      h.sched.advance(4000);
      await flush();
      assert.equal((await h.coord.fetchOffsets({ groupId: GROUP, topics: null })).topics.length, 1);
      h.sched.advance(1000);
      await flush();
      assert.equal((await h.coord.fetchOffsets({ groupId: GROUP, topics: null })).topics.length, 0);
      await h.coord.close();
    },
  );

  it("expireOffsets() runs a retention pass on demand", async () => {
    const h = await harness({ config: { offsetsRetentionMs: 1000, offsetsRetentionCheckIntervalMs: 10 * DAY } });
    await h.coord.commitOffsets(commitReq());
    h.sched.advance(999);
    assert.equal(await h.coord.expireOffsets(), 0);
    h.sched.advance(1);
    assert.equal(await h.coord.expireOffsets(), 1);
    assert.equal(h.coord.groupState(GROUP), undefined);
    await h.coord.close();
  });
});

describe("OffsetDelete", () => {
  const del = (groupId: string, topics: [string, number[]][]) => ({
    groupId,
    topics: topics.map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })),
  });

  it("GROUP_ID_NOT_FOUND, INVALID_GROUP_ID", async () => {
    const h = await harness();
    assert.deepEqual(await h.coord.deleteOffsets(del("none", [["t", [0]]])), {
      errorCode: E.GROUP_ID_NOT_FOUND,
      topics: [],
    });
    assert.equal((await h.coord.deleteOffsets(del("", [["t", [0]]]))).errorCode, E.INVALID_GROUP_ID);
    await h.coord.close();
  });

  it("an Empty group's offsets are deleted; a tombstone is written", async () => {
    const h = await harness();
    await h.coord.commitOffsets(
      commitReq({
        offsets: [
          ["t1", 0, 1n],
          ["t1", 1, 1n],
        ],
      }),
    );
    const r = await h.coord.deleteOffsets(
      del(GROUP, [
        ["t1", [0]],
        ["t9", [0]],
      ]),
    );
    assert.deepEqual(r, {
      errorCode: E.NONE,
      topics: [
        { name: "t1", partitions: [{ partitionIndex: 0, errorCode: E.NONE }] },
        { name: "t9", partitions: [{ partitionIndex: 0, errorCode: E.NONE }] },
      ],
    });
    const f = await h.coord.fetchOffsets({ groupId: GROUP, topics: null });
    assert.deepEqual(
      f.topics.map((t) => t.partitions.map((p) => p.partitionIndex)),
      [[1]],
    );
    const last = h.store.all().at(-1)!;
    assert.deepEqual(
      [decodeKey(last.key), last.value],
      [{ type: "offset", version: 1, key: { group: GROUP, topic: "t1", partition: 0 } }, null],
    );
    // deleting the last offset removes the group
    await h.coord.deleteOffsets(del(GROUP, [["t1", [1]]]));
    assert.equal(h.coord.groupState(GROUP), undefined);
    await h.coord.close();
  });

  it("a live consumer group keeps the offsets of subscribed topics: GROUP_SUBSCRIBED_TO_TOPIC", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2, { protocols: [{ name: "range", metadata: subscription(["t1", "t2"]) }] });
    await h.coord.commitOffsets(
      commitReq({
        generationIdOrMemberEpoch: 1,
        memberId: g.leader,
        offsets: [
          ["t1", 0, 1n],
          ["gone", 0, 1n],
        ],
      }),
    );
    const r = await h.coord.deleteOffsets(
      del(GROUP, [
        ["t1", [0]],
        ["gone", [0]],
      ]),
    );
    assert.deepEqual(r, {
      errorCode: E.NONE,
      topics: [
        { name: "t1", partitions: [{ partitionIndex: 0, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: "gone", partitions: [{ partitionIndex: 0, errorCode: E.NONE }] },
      ],
    });
    const f = await h.coord.fetchOffsets({ groupId: GROUP, topics: null });
    assert.deepEqual(
      f.topics.map((t) => t.name),
      ["t1"],
    );
    await h.coord.close();
  });

  it("unparsable subscriptions count as subscribed; non-consumer groups with members are NON_EMPTY_GROUP", async () => {
    const h = await harness();
    await stableGroup(h, 1, { protocols: [{ name: "range", metadata: Buffer.from([1]) }] });
    const r = await h.coord.deleteOffsets(del(GROUP, [["x", [0]]]));
    assert.equal(r.topics[0].partitions[0].errorCode, E.GROUP_SUBSCRIBED_TO_TOPIC);

    const h2 = await harness();
    await stableGroup(h2, 1, { protocolType: "connect" });
    assert.deepEqual(await h2.coord.deleteOffsets(del(GROUP, [["x", [0]]])), {
      errorCode: E.NON_EMPTY_GROUP,
      topics: [],
    });
    await h.coord.close();
    await h2.coord.close();
  });
});

describe("DeleteGroups", () => {
  it("deletes Empty groups with their offsets; NON_EMPTY_GROUP and GROUP_ID_NOT_FOUND otherwise", async () => {
    const h = await harness();
    await stableGroup(h, 1, { groupId: "live" });
    // a group with a generation that became Empty, with offsets
    const g = await stableGroup(h, 1, { groupId: "done" });
    await h.coord.commitOffsets({
      ...commitReq({ generationIdOrMemberEpoch: 1, memberId: g.leader }),
      groupId: "done",
    });
    await h.coord.leaveGroup({ groupId: "done", members: [{ memberId: g.leader }] });
    await flush();
    // an offsets-only group
    await h.coord.commitOffsets(commitReq({ offsets: [["t", 0, 1n]] }));
    assert.equal(h.store.all().filter((r) => r.value === null).length, 0);

    const r = await h.coord.deleteGroups({ groupsNames: ["live", "done", GROUP, "none", "done"] });
    assert.deepEqual(r.results, [
      { groupId: "live", errorCode: E.NON_EMPTY_GROUP },
      { groupId: "done", errorCode: E.NONE },
      { groupId: GROUP, errorCode: E.NONE },
      { groupId: "none", errorCode: E.GROUP_ID_NOT_FOUND },
    ]);
    assert.equal(h.coord.groupState("done"), undefined);
    assert.equal(h.coord.groupState(GROUP), undefined);
    assert.equal(h.coord.groupState("live"), "Stable");
    assert.deepEqual((await h.coord.fetchOffsets({ groupId: "done", topics: null })).topics, []);
    const tombstones = h.store
      .all()
      .filter((r) => r.value === null)
      .map((r) => {
        const k = decodeKey(r.key);
        return [k.type === "other" ? "" : k.key.group, k.type, r.value];
      })
      .sort((a, b) => String(a).localeCompare(String(b)));
    assert.deepEqual(tombstones, [
      ["done", "group", null],
      ["done", "offset", null],
      [GROUP, "offset", null],
    ]);
    assert.deepEqual((await h.coord.deleteGroups({ groupsNames: ["done"] })).results, [
      { groupId: "done", errorCode: E.GROUP_ID_NOT_FOUND },
    ]);
    await h.coord.close();
  });
});
