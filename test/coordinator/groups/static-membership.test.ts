import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/protocol/errors.js";
import { decodeGroupMetadataValue, decodeKey, type JoinGroupRequest } from "../../../src/coordinator/groups/index.js";
import { GROUP, SESSION, flush, harness, joinReq, settled, type Harness } from "./helpers.js";

const E = ErrorCode;

const staticReq = (instance: string, over: Partial<JoinGroupRequest> = {}) =>
  joinReq({ groupInstanceId: instance, clientId: `client-${instance}`, ...over });

/** Two static members (i1 leads, i2 follows), Stable at generation 1. */
async function staticGroup(h: Harness) {
  const j1 = h.coord.joinGroup(staticReq("i1"));
  const j2 = h.coord.joinGroup(staticReq("i2"));
  h.sched.advance(0);
  const [r1, r2] = await Promise.all([j1, j2]);
  const ids = { i1: r1.memberId, i2: r2.memberId };
  const s = await Promise.all([
    h.coord.syncGroup({
      groupId: GROUP,
      generationId: 1,
      memberId: ids.i1,
      groupInstanceId: "i1",
      assignments: [
        { memberId: ids.i1, assignment: Buffer.from("a1") },
        { memberId: ids.i2, assignment: Buffer.from("a2") },
      ],
    }),
    h.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: ids.i2, groupInstanceId: "i2", assignments: [] }),
  ]);
  assert.deepEqual(
    s.map((x) => x.errorCode),
    [E.NONE, E.NONE],
  );
  return ids;
}

describe("static membership (KIP-345)", () => {
  it("a static member joins without MEMBER_ID_REQUIRED and gets an id prefixed by its instance id", async () => {
    const h = await harness();
    const j = h.coord.joinGroup(staticReq("i1", { apiVersion: 7 }));
    h.sched.advance(0);
    const r = await j;
    assert.equal(r.errorCode, E.NONE);
    assert.match(r.memberId, /^i1-[0-9a-f-]{36}$/);
    assert.deepEqual(
      r.members.map((m) => m.groupInstanceId),
      ["i1"],
    );
    await h.coord.close();
  });

  it("a restarted static member replaces its old member id without a rebalance; the old id is fenced", async () => {
    const h = await harness();
    const ids = await staticGroup(h);
    const before = h.store.all().length;

    // i2 restarts: it has lost its member id
    const r = await h.coord.joinGroup(staticReq("i2"));
    assert.equal(r.errorCode, E.NONE);
    assert.notEqual(r.memberId, ids.i2);
    assert.match(r.memberId, /^i2-/);
    assert.equal(r.generationId, 1, "same generation: no rebalance");
    assert.equal(r.leader, ids.i1);
    assert.deepEqual(r.members, []);
    assert.equal(h.coord.groupState(GROUP), "Stable");

    // it gets its previous assignment back
    const s = await h.coord.syncGroup({
      groupId: GROUP,
      generationId: 1,
      memberId: r.memberId,
      groupInstanceId: "i2",
      assignments: [],
    });
    assert.deepEqual(s.assignment, Buffer.from("a2"));

    // the old incarnation is fenced
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: ids.i2, groupInstanceId: "i2" })).errorCode,
      E.FENCED_INSTANCE_ID,
    );
    assert.equal(
      (
        await h.coord.syncGroup({
          groupId: GROUP,
          generationId: 1,
          memberId: ids.i2,
          groupInstanceId: "i2",
          assignments: [],
        })
      ).errorCode,
      E.FENCED_INSTANCE_ID,
    );
    assert.equal(
      (
        await h.coord.commitOffsets({
          groupId: GROUP,
          generationIdOrMemberEpoch: 1,
          memberId: ids.i2,
          groupInstanceId: "i2",
          topics: [{ name: "t1", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
        })
      ).topics[0].partitions[0].errorCode,
      E.FENCED_INSTANCE_ID,
    );
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: ids.i2 })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: r.memberId, groupInstanceId: "i2" }))
        .errorCode,
      E.NONE,
    );

    // the new member id was persisted with the unchanged assignment
    const records = h.store.all().slice(before);
    assert.equal(records.length, 1);
    assert.equal(decodeKey(records[0].key).type, "group");
    const v = decodeGroupMetadataValue(records[0].value!).value;
    assert.deepEqual(
      v.members.map((m) => [m.memberId, m.groupInstanceId, m.assignment.toString()]),
      [
        [ids.i1, "i1", "a1"],
        [r.memberId, "i2", "a2"],
      ],
    );
    await h.coord.close();
  });

  it("a restarted static leader is not told it leads before v9, and told to skip assignment from v9", async () => {
    const h = await harness();
    const ids = await staticGroup(h);
    const old = await h.coord.joinGroup(staticReq("i1", { apiVersion: 8 }));
    assert.equal(old.leader, ids.i1, "the old leader id, so the client does not assign");
    assert.notEqual(old.memberId, ids.i1);
    assert.equal(old.skipAssignment, false);
    assert.deepEqual(old.members, []);

    const v9 = await h.coord.joinGroup(staticReq("i1", { apiVersion: 9 }));
    assert.equal(v9.leader, v9.memberId);
    assert.equal(v9.skipAssignment, true);
    assert.deepEqual(v9.members.map((m) => m.groupInstanceId).sort(), ["i1", "i2"]);
    assert.equal(h.coord.groupState(GROUP), "Stable");
    await h.coord.close();
  });

  it(
    "a replacement that would change the selected protocol rebalances; one with no common protocol is " + "refused",
    async () => {
      const h = await harness();
      const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
      const j1 = h.coord.joinGroup(staticReq("i1", { protocols: p("range", "roundrobin") }));
      const j2 = h.coord.joinGroup(staticReq("i2", { protocols: p("range", "roundrobin") }));
      const j3 = h.coord.joinGroup(staticReq("i3", { protocols: p("roundrobin", "range") }));
      h.sched.advance(0);
      const [r1, r2, r3] = await Promise.all([j1, j2, j3]);
      assert.equal(r1.protocolName, "range");
      await Promise.all([
        h.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: r1.memberId, assignments: [] }),
        h.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: r2.memberId, assignments: [] }),
        h.coord.syncGroup({ groupId: GROUP, generationId: 1, memberId: r3.memberId, assignments: [] }),
      ]);
      assert.equal(h.coord.groupState(GROUP), "Stable");

      const bad = await h.coord.joinGroup(staticReq("i2", { protocols: p("sticky") }));
      assert.equal(bad.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
      assert.equal(h.coord.groupState(GROUP), "Stable");

      // i2 comes back preferring roundrobin: the vote would now pick roundrobin
      const changed = h.coord.joinGroup(staticReq("i2", { protocols: p("roundrobin", "range") }));
      assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
      const a = h.coord.joinGroup(staticReq("i1", { memberId: r1.memberId, protocols: p("range", "roundrobin") }));
      const c = h.coord.joinGroup(staticReq("i3", { memberId: r3.memberId, protocols: p("roundrobin", "range") }));
      const [rc, ra] = await Promise.all([changed, a, c]);
      assert.equal(rc.generationId, 2);
      assert.equal(ra.protocolName, "roundrobin");
      await h.coord.close();
    },
  );

  it("a static member fences its waiting JoinGroup when a new incarnation arrives", async () => {
    const h = await harness();
    const ids = await staticGroup(h);
    // i1 (leader) rejoins with its id: rebalance; it waits for i2
    const waiting = h.coord.joinGroup(staticReq("i1", { memberId: ids.i1 }));
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    // a second incarnation of i1 arrives with no member id
    const newer = h.coord.joinGroup(staticReq("i1"));
    const fenced = await waiting;
    assert.equal(fenced.errorCode, E.FENCED_INSTANCE_ID);
    assert.equal(fenced.memberId, ids.i1);
    const j2 = h.coord.joinGroup(staticReq("i2", { memberId: ids.i2 }));
    const [rn, r2] = await Promise.all([newer, j2]);
    assert.equal(rn.generationId, 2);
    assert.equal(rn.leader, rn.memberId, "the new incarnation keeps the leadership");
    assert.equal(r2.generationId, 2);
    await h.coord.close();
  });

  it(
    "static members that do not rejoin keep their place in the rebalance; their session timeout removes " + "them",
    async () => {
      const h = await harness();
      const ids = await staticGroup(h);
      const j1 = h.coord.joinGroup(staticReq("i1", { memberId: ids.i1 }));
      // i2 neither rejoins nor heartbeats: its session expires first (10s < 30s rebalance timeout)
      h.sched.advance(SESSION);
      const r1 = await j1;
      assert.equal(r1.generationId, 2);
      assert.deepEqual(
        r1.members.map((m) => m.groupInstanceId),
        ["i1"],
      );
      await h.coord.close();
    },
  );

  it("at the rebalance timeout, a static member that heartbeats but does not rejoin stays a member", async () => {
    const h = await harness();
    const ids = await staticGroup(h);
    const j1 = h.coord.joinGroup(staticReq("i1", { memberId: ids.i1 }));
    for (let t = 0; t < 30_000; t += SESSION / 2) {
      h.sched.advance(SESSION / 2);
      await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: ids.i2, groupInstanceId: "i2" });
    }
    const r1 = await j1;
    assert.equal(r1.generationId, 2);
    assert.deepEqual(
      r1.members.map((m) => m.groupInstanceId),
      ["i1", "i2"],
      "the leader assigns to the absent static member too",
    );
    await h.coord.close();
  });

  it("a static member's session timeout triggers a rebalance", async () => {
    const h = await harness();
    const ids = await staticGroup(h);
    for (let t = 0; t < SESSION; t += SESSION / 2) {
      h.sched.advance(SESSION / 2);
      await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: ids.i1, groupInstanceId: "i1" });
    }
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: ids.i2, groupInstanceId: "i2" })).errorCode,
      E.UNKNOWN_MEMBER_ID,
    );
    await h.coord.close();
  });

  it("LeaveGroup v3+: batched members by member id or by instance id alone", async () => {
    const h = await harness();
    const ids = await staticGroup(h);
    const res = await h.coord.leaveGroup({
      groupId: GROUP,
      members: [
        { memberId: "", groupInstanceId: "i2", reason: "admin" },
        { memberId: "", groupInstanceId: "unknown" },
        { memberId: "stale-id", groupInstanceId: "i1" },
        { memberId: "ghost" },
      ],
    });
    assert.deepEqual(res, {
      errorCode: E.NONE,
      members: [
        { memberId: "", groupInstanceId: "i2", errorCode: E.NONE },
        { memberId: "", groupInstanceId: "unknown", errorCode: E.UNKNOWN_MEMBER_ID },
        { memberId: "stale-id", groupInstanceId: "i1", errorCode: E.FENCED_INSTANCE_ID },
        { memberId: "ghost", groupInstanceId: null, errorCode: E.UNKNOWN_MEMBER_ID },
      ],
    });
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    const last = await h.coord.leaveGroup({ groupId: GROUP, members: [{ memberId: ids.i1, groupInstanceId: "i1" }] });
    assert.equal(last.members[0].errorCode, E.NONE);
    assert.equal(h.coord.groupState(GROUP), "Empty");
    await h.coord.close();
  });

  it("a failed write of the replacement reverts to the old member id", async () => {
    const h = await harness();
    const ids = await staticGroup(h);
    h.store.failWith = new Error("disk full");
    const r = await h.coord.joinGroup(staticReq("i2"));
    assert.equal(r.errorCode, E.NOT_COORDINATOR);
    assert.equal(r.memberId, "");
    h.store.failWith = null;
    assert.equal(
      (await h.coord.heartbeat({ groupId: GROUP, generationId: 1, memberId: ids.i2, groupInstanceId: "i2" })).errorCode,
      E.NONE,
    );
    await flush();
    await h.coord.close();
  });

  it("a replacement during CompletingRebalance restarts the rebalance", async () => {
    const h = await harness();
    const j1 = h.coord.joinGroup(staticReq("i1"));
    const j2 = h.coord.joinGroup(staticReq("i2"));
    h.sched.advance(0);
    const [r1] = await Promise.all([j1, j2]);
    assert.equal(h.coord.groupState(GROUP), "CompletingRebalance");
    const replaced = h.coord.joinGroup(staticReq("i2"));
    assert.equal(h.coord.groupState(GROUP), "PreparingRebalance");
    assert.equal((await settled(replaced)).done, false);
    const again = h.coord.joinGroup(staticReq("i1", { memberId: r1.memberId }));
    const [a, b] = await Promise.all([again, replaced]);
    assert.equal(a.generationId, 2);
    assert.equal(b.generationId, 2);
    await h.coord.close();
  });
});
