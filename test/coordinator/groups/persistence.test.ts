import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/protocol/errors.js";
import {
  GroupCoordinator,
  InMemoryGroupStore,
  ManualScheduler,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  partitionForGroup,
  type GroupStoreRecord,
} from "../../../src/coordinator/groups/index.js";
import {
  GROUP,
  SESSION,
  flush,
  harness,
  joinNew,
  joinReq,
  restart,
  settled,
  stableGroup,
  subscription,
} from "./helpers.js";

const E = ErrorCode;

describe("persistence: restart replays __consumer_offsets", () => {
  it("a Stable group comes back with its generation, leader, members, assignments and offsets", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    await h.coord.commitOffsets({
      groupId: GROUP,
      generationIdOrMemberEpoch: 1,
      memberId: g.members[0],
      topics: [
        {
          name: "t1",
          partitions: [
            { partitionIndex: 0, committedOffset: 100n, committedLeaderEpoch: 4, committedMetadata: "meta" },
          ],
        },
      ],
    });
    const described = (await h.coord.describeGroups({ groups: [GROUP] })).groups[0];

    const coord = await restart(h);
    const after = (await coord.describeGroups({ groups: [GROUP] })).groups[0];
    assert.deepEqual(after, described, "same state, protocol, members, metadata and assignments");
    assert.equal(after.groupState, "Stable");
    // members carry on with the same generation
    for (const m of g.members) {
      assert.equal((await coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: m })).errorCode, E.NONE);
    }
    const s = await coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: g.members[1], assignments: [] });
    assert.deepEqual(s.assignment, Buffer.from("assignment-1"));
    const f = await coord.fetchOffsets({ groupId: GROUP, topics: null });
    assert.deepEqual(f.topics, [
      {
        name: "t1",
        partitions: [
          { partitionIndex: 0, committedOffset: 100n, committedLeaderEpoch: 4, metadata: "meta", errorCode: E.NONE },
        ],
      },
    ]);

    // the leader rejoining rebalances to generation 2 with the same leader
    const rejoin = coord.joinGroup(joinReq({ memberId: g.leader }));
    const other = coord.joinGroup(joinReq({ memberId: g.members[1] }));
    const r = await rejoin;
    assert.equal(r.generationId, 2);
    assert.equal(r.leader, g.leader);
    assert.equal((await other).generationId, 2);
    await coord.close();
  });

  it("loaded members that stop heartbeating expire a session timeout after the load", async () => {
    const h = await harness();
    await stableGroup(h, 1);
    h.sched.advance(SESSION - 1);
    const coord = await restart(h);
    h.sched.advance(SESSION - 1);
    assert.equal(coord.groupState(GROUP), "Stable");
    h.sched.advance(1);
    assert.equal(coord.groupState(GROUP), "Empty");
    await coord.close();
  });

  it("the latest record per key wins; tombstones delete offsets and groups", async () => {
    const h = await harness();
    const commit = (groupId: string, partitionIndex: number, committedOffset: bigint) =>
      h.coord.commitOffsets({
        groupId,
        topics: [{ name: "t", partitions: [{ partitionIndex, committedOffset, committedMetadata: null }] }],
      });
    await commit("a", 0, 1n);
    await commit("a", 0, 2n);
    await commit("a", 1, 5n);
    await commit("b", 0, 9n);
    await h.coord.deleteOffsets({ groupId: "a", topics: [{ name: "t", partitions: [{ partitionIndex: 1 }] }] });
    await h.coord.deleteGroups({ groupsNames: ["b"] });
    // a group with a generation that was deleted, then recreated as offsets-only
    await stableGroup(h, 1, { groupId: "c" });
    await h.coord.leaveGroup({
      groupId: "c",
      memberId: (await h.coord.describeGroups({ groups: ["c"] })).groups[0].members[0].memberId,
    });
    await flush();
    await h.coord.deleteGroups({ groupsNames: ["c"] });
    await commit("c", 3, 33n);

    const coord = await restart(h);
    const a = await coord.fetchOffsets({ groupId: "a", topics: null });
    assert.deepEqual(
      a.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset])),
      [[[0, 2n]]],
    );
    assert.equal(coord.groupState("b"), undefined);
    assert.deepEqual((await coord.fetchOffsets({ groupId: "b", topics: null })).topics, []);
    const c = (await coord.describeGroups({ groups: ["c"] })).groups[0];
    assert.equal(c.groupState, "Empty");
    assert.equal(c.protocolType, "", "offsets only: no group metadata survived");
    assert.deepEqual(
      (await coord.fetchOffsets({ groupId: "c", topics: null })).topics[0].partitions[0].committedOffset,
      33n,
    );
    await coord.close();
  });

  it("an Empty group record keeps the generation and protocol type", async () => {
    const h = await harness();
    const g = await stableGroup(h, 1);
    await h.coord.commitOffsets({
      groupId: GROUP,
      generationIdOrMemberEpoch: 1,
      memberId: g.leader,
      topics: [{ name: "t1", partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: null }] }],
    });
    await h.coord.leaveGroup({ groupId: GROUP, members: [{ memberId: g.leader }] });
    await flush();
    const coord = await restart(h);
    assert.deepEqual((await coord.listGroups()).groups, [
      { groupId: GROUP, protocolType: "consumer", groupState: "Empty", groupType: "classic" },
    ]);
    // the next member starts generation 3 (1 stable, 2 empty)
    const j = await joinNew(coord);
    h.sched.advance(0);
    assert.equal((await j.join).generationId, 3);
    await coord.close();
  });

  it("static member ids survive a restart", async () => {
    const h = await harness();
    const j = h.coord.joinGroup(joinReq({ groupInstanceId: "inst" }));
    h.sched.advance(0);
    const r = await j;
    await h.coord.syncGroup({
      groupId: GROUP,
      generationId: 1,
      memberId: r.memberId,
      assignments: [{ memberId: r.memberId, assignment: Buffer.from("x") }],
    });
    const coord = await restart(h);
    assert.equal(
      (await coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: "stale", groupInstanceId: "inst" }))
        .errorCode,
      E.FENCED_INSTANCE_ID,
    );
    assert.equal(
      (await coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: r.memberId, groupInstanceId: "inst" }))
        .errorCode,
      E.NONE,
    );
    // a restarted static member is replaced without rebalance after the broker restart too
    const again = await coord.joinGroup(joinReq({ groupInstanceId: "inst" }));
    assert.equal(again.generationId, 1);
    assert.equal(coord.groupState(GROUP), "Stable");
    await coord.close();
  });

  it("reads Kafka-written records of older versions and skips what it cannot decode", async () => {
    const store = new InMemoryGroupStore();
    const p = partitionForGroup("legacy", 50);
    const recs: GroupStoreRecord[] = [
      { key: Buffer.from([0, 1, 0xff]), value: Buffer.from([1]) }, // garbage key
      { key: Buffer.from("0003000167", "hex"), value: Buffer.from([0, 0]) }, // a newer coordinator's record
      {
        key: encodeOffsetCommitKey({ group: "legacy", topic: "t", partition: 0 }, 0),
        value: Buffer.from("0000000000000000000500000000000000000001", "hex"),
      }, // v0 key, v0 value
      // truncated value
      { key: encodeOffsetCommitKey({ group: "legacy", topic: "t", partition: 1 }), value: Buffer.from([0, 3, 1]) },
      {
        key: encodeGroupMetadataKey({ group: "legacy" }),
        value: encodeGroupMetadataValue(
          {
            protocolType: "consumer",
            generation: 5,
            protocol: "range",
            leader: "m",
            currentStateTimestamp: 10n,
            members: [
              {
                memberId: "m",
                groupInstanceId: null,
                clientId: "c",
                clientHost: "/h",
                rebalanceTimeout: 30000,
                sessionTimeout: 10000,
                subscription: subscription(["t"]),
                assignment: Buffer.from("as"),
              },
            ],
          },
          2,
        ),
      },
    ];
    await store.append(p, recs);
    const h = await harness({ store });
    const d = (await h.coord.describeGroups({ groups: ["legacy"] })).groups[0];
    assert.equal(d.groupState, "Stable");
    assert.deepEqual(
      d.members.map((m) => [m.memberId, m.memberAssignment.toString()]),
      [["m", "as"]],
    );
    const f = await h.coord.fetchOffsets({ groupId: "legacy", topics: null });
    assert.deepEqual(f.topics, [
      {
        name: "t",
        partitions: [
          { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, metadata: "", errorCode: E.NONE },
        ],
      },
    ]);
    assert.equal((await h.coord.heartbeat({ groupId: "legacy", generationId: 5, memberId: "m" })).errorCode, E.NONE);
    await h.coord.close();
  });

  it("reads every partition of offsets.topic.num.partitions", async () => {
    const store = new InMemoryGroupStore();
    const sched = new ManualScheduler();
    const c1 = new GroupCoordinator({ store, scheduler: sched, config: { offsetsTopicNumPartitions: 3 } });
    await c1.load();
    const groups = ["a", "b", "c", "d", "e"];
    for (const g of groups)
      await c1.commitOffsets({
        groupId: g,
        topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
      });
    assert.deepEqual([...store.partitions.keys()].sort(), [0, 1, 2]);
    await c1.close();
    const c2 = new GroupCoordinator({ store, scheduler: sched, config: { offsetsTopicNumPartitions: 3 } });
    await c2.load();
    assert.deepEqual((await c2.listGroups()).groups.map((g) => g.groupId).sort(), groups);
    await c2.close();
  });
});

describe("coordinator lifecycle", () => {
  it("COORDINATOR_NOT_AVAILABLE before load and after close; LOAD_IN_PROGRESS while loading", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = new (class extends InMemoryGroupStore {
      override async *load(partition: number) {
        if (partition === 0) await gate;
        yield* super.load(partition);
      }
    })();
    const coord = new GroupCoordinator({ store, scheduler: new ManualScheduler() });
    assert.equal((await coord.joinGroup(joinReq())).errorCode, E.COORDINATOR_NOT_AVAILABLE);
    const loading = coord.load();
    assert.equal((await coord.joinGroup(joinReq())).errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(
      (await coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: "m" })).errorCode,
      E.NONE,
      "answered blindly while loading",
    );
    assert.equal(
      (await coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: "m", assignments: [] })).errorCode,
      E.REBALANCE_IN_PROGRESS,
    );
    assert.equal(
      (await coord.fetchOffsets({ groupId: GROUP, topics: null })).errorCode,
      E.COORDINATOR_LOAD_IN_PROGRESS,
    );
    assert.equal((await coord.listGroups()).errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await loading;
    assert.equal((await coord.listGroups()).errorCode, E.NONE);
    await coord.close();
    assert.equal((await coord.joinGroup(joinReq())).errorCode, E.COORDINATOR_NOT_AVAILABLE);
    assert.equal((await coord.listGroups()).errorCode, E.COORDINATOR_NOT_AVAILABLE);
    await assert.rejects(coord.load(), { code: "MR_GROUP_LIFECYCLE" });
  });

  it("a store that cannot be read leaves the coordinator unavailable; load() may be retried", async () => {
    let fail = true;
    const store = new (class extends InMemoryGroupStore {
      override async *load(partition: number) {
        if (fail) throw new Error("EIO");
        yield* super.load(partition);
      }
    })();
    const coord = new GroupCoordinator({ store, scheduler: new ManualScheduler() });
    await assert.rejects(coord.load(), /EIO/);
    assert.equal(
      (await coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: "m" })).errorCode,
      E.COORDINATOR_NOT_AVAILABLE,
    );
    fail = false;
    await coord.load();
    assert.equal((await coord.listGroups()).errorCode, E.NONE);
    await coord.close();
  });

  it("close answers waiting JoinGroup and SyncGroup calls with NOT_COORDINATOR", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const waitingJoin = h.coord.joinGroup(joinReq({ memberId: g.leader }));
    const h2 = await harness();
    const a = await joinNew(h2.coord);
    const b = await joinNew(h2.coord);
    h2.sched.advance(0);
    await Promise.all([a.join, b.join]);
    const waitingSync = h2.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: b.memberId, assignments: [] });
    assert.equal((await settled(waitingSync)).done, false);
    await h.coord.close();
    await h2.coord.close();
    assert.equal((await waitingJoin).errorCode, E.NOT_COORDINATOR);
    assert.equal((await waitingSync).errorCode, E.NOT_COORDINATOR);
    assert.equal(h.sched.pending + h2.sched.pending, 0, "no timers left behind");
  });
});
