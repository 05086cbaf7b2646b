import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/protocol/errors.js";
import { decodeGroupMetadataValue, decodeKey } from "../../../src/coordinator/groups/index.js";
import {
  GROUP,
  REBALANCE,
  SESSION,
  flush,
  harness,
  joinNew,
  joinReq,
  settled,
  stableGroup,
  subscription,
} from "./helpers.js";

const E = ErrorCode;

describe("JoinGroup / SyncGroup / Heartbeat", () => {
  it(
    "two members: two-step join, leader gets every member's metadata, followers wait for the leader's " + "SyncGroup",
    async () => {
      const { coord, sched, store } = await harness();
      const first = await coord.joinGroup(joinReq({ clientId: "alpha" }));
      assert.equal(first.errorCode, E.MEMBER_ID_REQUIRED);
      assert.match(first.memberId, /^alpha-[0-9a-f-]{36}$/);
      assert.equal(first.generationId, -1);
      assert.equal(coord.groupState(GROUP), "Empty");

      const joinA = coord.joinGroup(joinReq({ clientId: "alpha", memberId: first.memberId }));
      const b = await joinNew(coord, {
        clientId: "beta",
        protocols: [{ name: "range", metadata: subscription(["t2"]) }],
      });
      assert.equal(coord.groupState(GROUP), "PreparingRebalance");
      assert.equal((await settled(joinA)).done, false, "join waits for the rebalance");

      sched.advance(0); // group.initial.rebalance.delay.ms = 0
      const [ra, rb] = await Promise.all([joinA, b.join]);
      assert.equal(ra.errorCode, E.NONE);
      assert.equal(ra.generationId, 1);
      assert.equal(rb.generationId, 1);
      assert.equal(ra.leader, first.memberId, "the first joiner leads");
      assert.equal(rb.leader, first.memberId);
      assert.equal(ra.protocolName, "range");
      assert.equal(ra.protocolType, "consumer");
      assert.deepEqual(
        ra.members.map((m) => [m.memberId, m.metadata]),
        [
          [first.memberId, subscription(["t1"])],
          [b.memberId, subscription(["t2"])],
        ],
      );
      assert.deepEqual(rb.members, [], "followers get no member list");
      assert.equal(coord.groupState(GROUP), "CompletingRebalance");

      const syncB = coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: b.memberId, assignments: [] });
      assert.equal((await settled(syncB)).done, false, "the follower waits for the leader");
      const syncA = await coord.syncGroup({
        groupId: GROUP,
        generationId: 1,
        memberId: first.memberId,
        protocolType: "consumer",
        protocolName: "range",
        apiVersion: 5,
        assignments: [
          { memberId: first.memberId, assignment: Buffer.from("A") },
          { memberId: b.memberId, assignment: Buffer.from("B") },
        ],
      });
      assert.deepEqual(syncA, {
        errorCode: E.NONE,
        protocolType: "consumer",
        protocolName: "range",
        assignment: Buffer.from("A"),
      });
      assert.deepEqual((await syncB).assignment, Buffer.from("B"));
      assert.equal(coord.groupState(GROUP), "Stable");

      // the leader's assignment was stored as the group's metadata record
      const recs = store.all().filter((r) => decodeKey(r.key).type === "group");
      assert.equal(recs.length, 1);
      const v = decodeGroupMetadataValue(recs[0].value!).value;
      assert.equal(v.generation, 1);
      assert.equal(v.leader, first.memberId);
      assert.deepEqual(
        v.members.map((m) => [m.memberId, m.assignment.toString()]),
        [
          [first.memberId, "A"],
          [b.memberId, "B"],
        ],
      );

      // heartbeats keep members alive past their session timeout
      for (let i = 0; i < 5; i++) {
        sched.advance(SESSION / 2);
        assert.equal(
          (await coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: first.memberId })).errorCode,
          E.NONE,
        );
        assert.equal(
          (await coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: b.memberId })).errorCode,
          E.NONE,
        );
      }
      assert.equal(coord.groupState(GROUP), "Stable");
      // a stable follower re-syncing gets its assignment straight away
      const again = await coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: b.memberId, assignments: [] });
      assert.deepEqual(again.assignment, Buffer.from("B"));
      await coord.close();
    },
  );

  it("JoinGroup before v4 needs no second step; members the leader left out get an empty assignment", async () => {
    const h = await harness();
    const join = h.coord.joinGroup(joinReq({ apiVersion: 3, clientId: "old" }));
    h.sched.advance(0);
    const r = await join;
    assert.equal(r.errorCode, E.NONE);
    assert.match(r.memberId, /^old-/);
    assert.equal(r.leader, r.memberId);
    const s = await h.coord.syncGroup({
      groupId: GROUP,
      generationId: r.generationId,
      memberId: r.memberId,
      assignments: [],
    });
    assert.equal(s.errorCode, E.NONE);
    assert.deepEqual(s.assignment, Buffer.alloc(0));
    await h.coord.close();
  });

  it("v0 JoinGroup: the session timeout is the rebalance timeout", async () => {
    const h = await harness();
    const j = h.coord.joinGroup(joinReq({ apiVersion: 0, rebalanceTimeoutMs: undefined }));
    h.sched.advance(0);
    assert.equal((await j).errorCode, E.NONE);
    await h.coord.close();
  });

  it("the MEMBER_ID_REQUIRED id expires after the session timeout if not used", async () => {
    const { coord, sched } = await harness();
    const first = await coord.joinGroup(joinReq());
    sched.advance(SESSION);
    const late = await coord.joinGroup(joinReq({ memberId: first.memberId }));
    assert.equal(late.errorCode, E.UNKNOWN_MEMBER_ID);
    await coord.close();
  });

  it("a pending member id holds the rebalance until it joins or expires", async () => {
    const h = await harness();
    const g = await stableGroup(h, 1);
    // a second member gets its id but does not come back yet
    const pending = await h.coord.joinGroup(joinReq({ clientId: "late" }));
    assert.equal(pending.errorCode, E.MEMBER_ID_REQUIRED);
    // the leader rejoins: the rebalance waits for the pending member
    const rejoin = h.coord.joinGroup(joinReq({ memberId: g.leader }));
    assert.equal((await settled(rejoin)).done, false);
    h.sched.advance(SESSION); // pending member expires
    const r = await rejoin;
    assert.equal(r.errorCode, E.NONE);
    assert.equal(r.generationId, 2);
    assert.equal(r.members.length, 1);
    await h.coord.close();
  });

  it("rejects bad JoinGroups: group id, session timeout, unknown member, protocol", async () => {
    const { coord } = await harness({ config: { groupMinSessionTimeoutMs: 6000, groupMaxSessionTimeoutMs: 60000 } });
    assert.equal((await coord.joinGroup(joinReq({ groupId: "" }))).errorCode, E.INVALID_GROUP_ID);
    assert.equal((await coord.joinGroup(joinReq({ sessionTimeoutMs: 5999 }))).errorCode, E.INVALID_SESSION_TIMEOUT);
    assert.equal((await coord.joinGroup(joinReq({ sessionTimeoutMs: 60001 }))).errorCode, E.INVALID_SESSION_TIMEOUT);
    // a member id for a group that does not exist
    assert.equal((await coord.joinGroup(joinReq({ memberId: "ghost" }))).errorCode, E.UNKNOWN_MEMBER_ID);
    // an Empty group needs a protocol type and at least one protocol
    assert.equal((await coord.joinGroup(joinReq({ protocolType: "" }))).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await coord.joinGroup(joinReq({ protocols: [] }))).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    await coord.close();
  });

  it("INCONSISTENT_GROUP_PROTOCOL: another protocol type, or no protocol every member supports", async () => {
    const h = await harness();
    await stableGroup(h, 1);
    assert.equal(
      (await h.coord.joinGroup(joinReq({ protocolType: "connect" }))).errorCode,
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    const r = await h.coord.joinGroup(joinReq({ protocols: [{ name: "roundrobin", metadata: Buffer.alloc(0) }] }));
    assert.equal(r.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(r.memberId, "");
    // an unknown member id of an existing group
    assert.equal((await h.coord.joinGroup(joinReq({ memberId: "ghost" }))).errorCode, E.UNKNOWN_MEMBER_ID);
    await h.coord.close();
  });

  it("selects the protocol by the members' vote among the protocols all support", async () => {
    const h = await harness();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const a = await joinNew(h.coord, { protocols: p("sticky", "range", "roundrobin") });
    const b = await joinNew(h.coord, { protocols: p("roundrobin", "range") });
    const c = await joinNew(h.coord, { protocols: p("roundrobin", "sticky", "range") });
    h.sched.advance(0);
    const [ra] = await Promise.all([a.join, b.join, c.join]);
    // sticky is not supported by b; a votes range, b and c vote roundrobin
    assert.equal(ra.protocolName, "roundrobin");
    assert.deepEqual(
      ra.members.map((m) => m.metadata.toString()),
      ["roundrobin", "roundrobin", "roundrobin"],
    );
    await h.coord.close();
  });

  it("the initial rebalance delay waits, and waits again while new members arrive", async () => {
    const h = await harness({ config: { groupInitialRebalanceDelayMs: 3000 } });
    const a = await joinNew(h.coord);
    h.sched.advance(2000);
    const b = await joinNew(h.coord);
    h.sched.advance(1000); // the first delay ends, but a member arrived: delay again
    assert.equal((await settled(a.join)).done, false);
    h.sched.advance(2999);
    assert.equal((await settled(a.join)).done, false);
    h.sched.advance(1);
    const [ra, rb] = await Promise.all([a.join, b.join]);
    assert.equal(ra.generationId, 1);
    assert.equal(ra.members.length, 2);
    assert.equal(rb.generationId, 1);
    await h.coord.close();
  });

  it("a new member triggers a rebalance: members see REBALANCE_IN_PROGRESS, rejoin, and the leader stays", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const c = await joinNew(h.coord, { clientId: "third" });
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    for (const m of g.members) {
      assert.equal(
        (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: m })).errorCode,
        E.REBALANCE_IN_PROGRESS,
      );
    }
    // commits stay allowed while preparing
    const commit = await h.coord.commitOffsets({
      groupId: GROUP,
      generationIdOrMemberEpoch: 1,
      memberId: g.members[1],
      topics: [{ name: "t1", partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }],
    });
    assert.equal(commit.topics[0].partitions[0].errorCode, E.NONE);
    // SyncGroup of the old generation is refused
    assert.equal(
      (await h.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: g.members[1], assignments: [] })).errorCode,
      E.REBALANCE_IN_PROGRESS,
    );

    const r0 = h.coord.joinGroup(joinReq({ memberId: g.members[0] }));
    assert.equal((await settled(r0)).done, false);
    const r1 = h.coord.joinGroup(joinReq({ memberId: g.members[1] }));
    const [j0, j1, j2] = await Promise.all([r0, r1, c.join]);
    assert.equal(j0.generationId, 2);
    assert.equal(j0.leader, g.leader);
    assert.equal(j0.members.length, 3);
    assert.equal(j1.members.length, 0);
    assert.equal(j2.leader, g.leader);
    assert.equal(h.coord.groupState(GROUP), "CompletingRebalance");
    await h.coord.close();
  });

  it("members that do not rejoin within the rebalance timeout are removed", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const [a, b] = g.members;
    const rejoinA = h.coord.joinGroup(joinReq({ memberId: a }));
    // b keeps heartbeating (so its session does not expire) but never rejoins
    for (let t = 0; t < REBALANCE - SESSION / 2; t += SESSION / 2) {
      h.sched.advance(SESSION / 2);
      assert.equal(
        (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: b })).errorCode,
        E.REBALANCE_IN_PROGRESS,
      );
    }
    assert.equal((await settled(rejoinA)).done, false);
    h.sched.advance(SESSION / 2);
    const r = await rejoinA;
    assert.equal(r.generationId, 2);
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [a],
    );
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 2, memberId: b })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    await h.coord.close();
  });

  it("a member whose session expires is removed and the others rebalance", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const [a, b] = g.members;
    h.sched.advance(SESSION - 1);
    assert.equal((await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: a })).errorCode, E.NONE);
    assert.equal(h.coord.groupState(GROUP), "Stable");
    h.sched.advance(1); // b's session ends
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: b })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: a })).errorCode,
      E.REBALANCE_IN_PROGRESS,
    );
    // a alone rejoining completes the rebalance at once
    const r = await h.coord.joinGroup(joinReq({ memberId: a }));
    assert.equal(r.generationId, 2);
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [a],
    );
    await h.coord.close();
  });

  it("when every member's session expires the group becomes Empty and that is stored", async () => {
    const h = await harness();
    await stableGroup(h, 2);
    h.sched.advance(SESSION);
    assert.equal(h.coord.groupState(GROUP), "Empty");
    await flush();
    const last = h.store.all().at(-1)!;
    assert.deepEqual(decodeKey(last.key), { type: "group", version: 2, key: { group: GROUP } });
    const v = decodeGroupMetadataValue(last.value!).value;
    assert.equal(v.generation, 2);
    assert.equal(v.protocol, null);
    assert.equal(v.leader, null);
    assert.deepEqual(v.members, []);
    assert.equal(v.protocolType, "consumer");
    await h.coord.close();
  });

  it("LeaveGroup rebalances the rest; a leaving leader hands over to a member that rejoins", async () => {
    const h = await harness();
    const g = await stableGroup(h, 3);
    const [a, b, c] = g.members;
    const res = await h.coord.leaveGroup({ groupId: GROUP, members: [{ memberId: a }] });
    assert.deepEqual(res, { errorCode: E.NONE, members: [{ memberId: a, groupInstanceId: null, errorCode: E.NONE }] });
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    const jc = h.coord.joinGroup(joinReq({ memberId: c }));
    const jb = h.coord.joinGroup(joinReq({ memberId: b }));
    const [rc, rb] = await Promise.all([jc, jb]);
    assert.equal(rc.generationId, 2);
    assert.equal(rb.leader, b, "the first remaining member became leader and rejoined");
    assert.equal(rb.members.length, 2);
    assert.equal(rc.members.length, 0);
    await h.coord.close();
  });

  it("LeaveGroup v0-2 form (one member id): the member's error is the response's", async () => {
    const h = await harness();
    const g = await stableGroup(h, 1);
    assert.equal((await h.coord.leaveGroup({ groupId: GROUP, memberId: "ghost" })).errorCode, E.UNKNOWN_MEMBER_ID);
    assert.equal((await h.coord.leaveGroup({ groupId: GROUP, memberId: g.leader })).errorCode, E.NONE);
    // the last member left: the group is Empty
    assert.equal(h.coord.groupState(GROUP), "Empty");
    assert.deepEqual((await h.coord.leaveGroup({ groupId: "nope", members: [{ memberId: "x" }] })).members, [
      { memberId: "x", groupInstanceId: null, errorCode: E.UNKNOWN_MEMBER_ID },
    ]);
    assert.equal((await h.coord.leaveGroup({ groupId: "", memberId: "x" })).errorCode, E.INVALID_GROUP_ID);
    await h.coord.close();
  });

  it("a pending (MEMBER_ID_REQUIRED) member may leave", async () => {
    const h = await harness();
    const first = await h.coord.joinGroup(joinReq());
    const res = await h.coord.leaveGroup({ groupId: GROUP, members: [{ memberId: first.memberId }] });
    assert.equal(res.members[0].errorCode, E.NONE);
    assert.equal((await h.coord.joinGroup(joinReq({ memberId: first.memberId }))).errorCode, E.UNKNOWN_MEMBER_ID);
    await h.coord.close();
  });

  it("generation and member fencing: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const [a] = g.members;
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 0, memberId: a })).errorCode,
      E.ILLEGAL_GENERATION,
    );
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: "ghost" })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await h.coord.heartbeat({ groupId: "other", generationId: 1, memberId: a })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await h.coord.heartbeat({ groupId: "", generationId: 1, memberId: a })).errorCode,
      E.INVALID_GROUP_ID,
    );
    assert.equal(
      (await h.coord.syncGroup({ groupId: GROUP, generationId: 2, memberId: a, assignments: [] })).errorCode,
      E.ILLEGAL_GENERATION,
    );
    assert.equal(
      (await h.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: "ghost", assignments: [] })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await h.coord.syncGroup({ groupId: "other", generationId: 1, memberId: a, assignments: [] })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    await h.coord.close();
  });

  it("SyncGroup v5 checks protocol type and name", async () => {
    const h = await harness();
    const g = await stableGroup(h, 1);
    const base = { groupId: GROUP, generationId: 1, memberId: g.leader, assignments: [] };
    assert.equal(
      (await h.coord.syncGroup({ ...base, protocolType: "connect", protocolName: "range" })).errorCode,
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    assert.equal(
      (await h.coord.syncGroup({ ...base, protocolType: "consumer", protocolName: "sticky" })).errorCode,
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    assert.equal(
      (await h.coord.syncGroup({ ...base, apiVersion: 5, protocolType: null, protocolName: "range" })).errorCode,
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    const ok = await h.coord.syncGroup({ ...base, apiVersion: 5, protocolType: "consumer", protocolName: "range" });
    assert.equal(ok.errorCode, E.NONE);
    assert.equal(ok.protocolName, "range");
    await h.coord.close();
  });

  it("a member waiting on SyncGroup is told REBALANCE_IN_PROGRESS when a rebalance starts", async () => {
    const h = await harness();
    const a = await joinNew(h.coord);
    const b = await joinNew(h.coord);
    h.sched.advance(0);
    const [ra, rb] = await Promise.all([a.join, b.join]);
    const syncB = h.coord.syncGroup({
      groupId: GROUP,
      generationId: rb.generationId,
      memberId: b.memberId,
      assignments: [],
    });
    // a third member joins before the leader's SyncGroup
    await joinNew(h.coord);
    const sb = await syncB;
    assert.deepEqual(sb, {
      errorCode: E.REBALANCE_IN_PROGRESS,
      protocolType: null,
      protocolName: null,
      assignment: Buffer.alloc(0),
    });
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    // the leader's late SyncGroup for the old generation
    assert.equal(
      (
        await h.coord.syncGroup({
          groupId: GROUP,
          generationId: ra.generationId,
          memberId: a.memberId,
          assignments: [],
        })
      ).errorCode,
      E.REBALANCE_IN_PROGRESS,
    );
    await h.coord.close();
  });

  it("a member that does not send SyncGroup within the rebalance timeout is removed", async () => {
    const h = await harness();
    const a = await joinNew(h.coord);
    const b = await joinNew(h.coord);
    h.sched.advance(0);
    const [ra] = await Promise.all([a.join, b.join]);
    const syncA = await h.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: a.memberId, assignments: [] });
    assert.equal(syncA.errorCode, E.NONE);
    assert.equal(h.coord.groupState(GROUP), "Stable");
    // b never syncs; a keeps heartbeating
    for (let t = 0; t < REBALANCE; t += SESSION / 2) {
      h.sched.advance(SESSION / 2);
      await h.coord.heartbeat({ groupId: GROUP, generationId: ra.generationId, memberId: a.memberId });
    }
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: b.memberId })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    await h.coord.close();
  });

  it("a rejoin with unchanged metadata during CompletingRebalance gets the current generation again", async () => {
    const h = await harness();
    const a = await joinNew(h.coord);
    const b = await joinNew(h.coord);
    h.sched.advance(0);
    const [ra] = await Promise.all([a.join, b.join]);
    const again = await h.coord.joinGroup(joinReq({ memberId: a.memberId }));
    assert.equal(again.generationId, ra.generationId);
    assert.equal(again.members.length, 2, "the leader gets the member list again");
    const againB = await h.coord.joinGroup(joinReq({ memberId: b.memberId }));
    assert.equal(againB.members.length, 0);
    assert.equal(h.coord.groupState(GROUP), "CompletingRebalance");
    // changed metadata forces a rebalance
    const changed = h.coord.joinGroup(
      joinReq({ memberId: b.memberId, protocols: [{ name: "range", metadata: subscription(["t9"]) }] }),
    );
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    const ra2 = h.coord.joinGroup(joinReq({ memberId: a.memberId }));
    assert.equal((await changed).generationId, 2);
    assert.equal((await ra2).generationId, 2);
    await h.coord.close();
  });

  it("a stable follower rejoining with the same metadata does not rebalance; the leader always does", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const follower = await h.coord.joinGroup(joinReq({ memberId: g.members[1] }));
    assert.equal(follower.errorCode, E.NONE);
    assert.equal(follower.generationId, 1);
    assert.equal(h.coord.groupState(GROUP), "Stable");
    const leader = h.coord.joinGroup(joinReq({ memberId: g.leader }));
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    const f2 = h.coord.joinGroup(joinReq({ memberId: g.members[1] }));
    assert.equal((await leader).generationId, 2);
    assert.equal((await f2).generationId, 2);
    await h.coord.close();
  });

  it("a repeated JoinGroup while waiting replaces the earlier one", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const j1 = h.coord.joinGroup(joinReq({ memberId: g.members[0] }));
    const j2 = h.coord.joinGroup(joinReq({ memberId: g.members[0] }));
    assert.equal((await j1).errorCode, E.REBALANCE_IN_PROGRESS);
    const jb = h.coord.joinGroup(joinReq({ memberId: g.members[1] }));
    assert.equal((await j2).generationId, 2);
    assert.equal((await jb).generationId, 2);
    await h.coord.close();
  });

  it("GROUP_MAX_SIZE_REACHED beyond group.max.size", async () => {
    const h = await harness({ config: { groupMaxSize: 2 } });
    await stableGroup(h, 2);
    const third = await h.coord.joinGroup(joinReq({ apiVersion: 3 }));
    assert.equal(third.errorCode, E.GROUP_MAX_SIZE_REACHED);
    assert.equal(third.memberId, "");
    assert.equal(h.coord.groupState(GROUP), "Stable");
    await h.coord.close();
  });

  it("a new member whose JoinGroup waits longer than the new-member timeout is dropped", async () => {
    const h = await harness({ config: { newMemberJoinTimeoutMs: 300_000 } });
    const g = await stableGroup(h, 1, { rebalanceTimeoutMs: 600_000 });
    const c = await joinNew(h.coord, { rebalanceTimeoutMs: 600_000 });
    // the existing member keeps heartbeating without rejoining
    for (let t = 0; t < 300_000; t += SESSION / 2) {
      h.sched.advance(SESSION / 2);
      await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: g.leader });
    }
    assert.deepEqual((await c.join).errorCode, E.UNKNOWN_MEMBER_ID);
    await h.coord.close();
  });
});

describe("ListGroups / DescribeGroups", () => {
  it("lists groups with their state, filtered by state and type", async () => {
    const h = await harness();
    await stableGroup(h, 1);
    await h.coord.commitOffsets({
      groupId: "simple",
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }] }],
    });
    const all = await h.coord.listGroups();
    assert.equal(all.errorCode, E.NONE);
    assert.deepEqual(
      all.groups.sort((x, y) => x.groupId.localeCompare(y.groupId)),
      [
        { groupId: GROUP, protocolType: "consumer", groupState: "Stable", groupType: "classic" },
        { groupId: "simple", protocolType: "", groupState: "Empty", groupType: "classic" },
      ],
    );
    assert.deepEqual(
      (await h.coord.listGroups({ statesFilter: ["stable"] })).groups.map((g) => g.groupId),
      [GROUP],
    );
    assert.deepEqual(
      (await h.coord.listGroups({ statesFilter: ["Empty"] })).groups.map((g) => g.groupId),
      ["simple"],
    );
    assert.deepEqual((await h.coord.listGroups({ typesFilter: ["consumer"] })).groups, []);
    assert.equal((await h.coord.listGroups({ typesFilter: ["Classic"] })).groups.length, 2);
    await h.coord.close();
  });

  it("describes a stable group with metadata and assignments, others without", async () => {
    const h = await harness();
    const g = await stableGroup(h, 2);
    const d = await h.coord.describeGroups({ groups: [GROUP, "missing"] });
    const [stable, missing] = d.groups;
    assert.equal(stable.errorCode, E.NONE);
    assert.equal(stable.groupState, "Stable");
    assert.equal(stable.protocolType, "consumer");
    assert.equal(stable.protocolData, "range");
    assert.deepEqual(
      stable.members.map((m) => [
        m.memberId,
        m.clientId,
        m.clientHost,
        m.memberMetadata,
        m.memberAssignment.toString(),
      ]),
      [
        [g.members[0], "c0", "/127.0.0.1", subscription(["t1"]), "assignment-0"],
        [g.members[1], "c1", "/127.0.0.1", subscription(["t1"]), "assignment-1"],
      ],
    );
    assert.deepEqual(missing, {
      errorCode: E.NONE,
      groupId: "missing",
      groupState: "Dead",
      protocolType: "",
      protocolData: "",
      members: [],
      authorizedOperations: -2147483648,
    });

    await joinNew(h.coord);
    const preparing = (await h.coord.describeGroups({ groups: [GROUP] })).groups[0];
    assert.equal(preparing.groupState, "PreparingRebalance");
    assert.equal(preparing.protocolData, "");
    assert.equal(preparing.members.length, 3);
    assert.deepEqual(preparing.members[0].memberMetadata, Buffer.alloc(0));
    await h.coord.close();
  });
});
