/**
 * Bad input to the consumer group APIs against a live broker, as raw requests
 * over millrace's own KafkaConnection: commits and syncs from stale
 * generations or unknown members, heartbeats to unknown and deleted groups,
 * oversized and malformed JoinGroups. Each gets Kafka's error (or, for a frame
 * the broker will not read, a closed connection); the bad requests change no
 * committed offset and no group; the broker keeps serving Metadata, a
 * well-behaved group still works, and after a restart the coordinator loads
 * `__consumer_offsets` and has kept exactly the good commits.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.js";
import { KafkaConnection, parseHostPort } from "../../src/client/connection.js";
import { ApiKey } from "../../src/protocol/apis.js";
import type { Message } from "../../src/protocol/codec.js";
import { ErrorCode, errorName } from "../../src/protocol/errors.js";
import { startBroker, removeDir, type TestBroker } from "../helpers/broker.js";

const E = ErrorCode;
/** Requests up to this size are read; larger ones close the connection. */
const MAX_REQUEST = 6 << 20;
const PROPS = {
  "group.initial.rebalance.delay.ms": "0",
  "socket.request.max.bytes": String(MAX_REQUEST),
  "auto.create.topics.enable": "false",
};
const TOPIC = "gbi-topic";

let tb: TestBroker;
let client: KafkaClient;
let conn: KafkaConnection;

before(async () => {
  tb = await startBroker(PROPS);
  client = await KafkaClient.connect(tb.bootstrap);
  await client.createTopic(TOPIC, 2);
  conn = await KafkaConnection.open(tb.bootstrap, { clientId: "gbi" });
});

after(async () => {
  conn.close();
  await client.close();
  await tb.stop();
  removeDir(tb.dir);
});

const name = (code: number) => `${errorName(code)} (${code})`;
function expectError(got: number, want: number, what: string): void {
  assert.equal(got, want, `${what}: got ${name(got)}, expected ${name(want)}`);
}

async function stillServing(): Promise<void> {
  const [t] = await client.metadata([TOPIC]);
  assert.equal(t.errorCode, 0, "Metadata after bad input");
  assert.equal(t.partitions.length, 2);
}

/** ConsumerProtocolSubscription v0: version, topics, user data. */
function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // null user data
  return Buffer.concat(parts);
}

/** ConsumerProtocolAssignment v0 of partitions of TOPIC. */
function assignment(partitions: number[]): Buffer {
  const b = Buffer.alloc(2 + 4 + 2 + TOPIC.length + 4 + 4 * partitions.length + 4);
  let o = b.writeInt16BE(0, 0);
  o = b.writeInt32BE(1, o);
  o = b.writeInt16BE(TOPIC.length, o);
  o += b.write(TOPIC, o);
  o = b.writeInt32BE(partitions.length, o);
  for (const p of partitions) o = b.writeInt32BE(p, o);
  b.writeInt32BE(-1, o);
  return b;
}

function joinBody(groupId: string, memberId: string, metadata: Buffer, extra: Partial<Message> = {}): Message {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata }],
    reason: null,
    ...extra,
  };
}

interface Member {
  groupId: string;
  memberId: string;
  generationId: number;
}

/**
 * One dynamic member joins (JoinGroup v5: MEMBER_ID_REQUIRED, then again with
 * the id) and, as the leader, syncs an assignment of both partitions: a
 * Stable one-member group.
 */
async function stableMember(c: KafkaConnection, groupId: string, metadata = subscription([TOPIC])): Promise<Member> {
  const first = await c.send(ApiKey.JoinGroup, 5, joinBody(groupId, "", metadata));
  expectError(first.errorCode, E.MEMBER_ID_REQUIRED, "first JoinGroup v5");
  const j = await c.send(ApiKey.JoinGroup, 5, joinBody(groupId, first.memberId, metadata));
  expectError(j.errorCode, E.NONE, "JoinGroup with the member id");
  assert.equal(j.leader, j.memberId);
  const s = await c.send(ApiKey.SyncGroup, 3, {
    groupId,
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId: null,
    assignments: [{ memberId: j.memberId, assignment: assignment([0, 1]) }],
  });
  expectError(s.errorCode, E.NONE, "leader's SyncGroup");
  return { groupId, memberId: j.memberId, generationId: j.generationId };
}

async function commit(
  c: KafkaConnection,
  version: number,
  groupId: string,
  generationId: number,
  memberId: string,
  offset: bigint,
  extra: Partial<Message> = {},
): Promise<number[]> {
  const res = await c.send(ApiKey.OffsetCommit, version, {
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: TOPIC,
        partitions: [0, 1].map((partitionIndex) => ({
          partitionIndex,
          committedOffset: offset,
          committedLeaderEpoch: -1,
          commitTimestamp: -1n,
          committedMetadata: "",
        })),
      },
    ],
    ...extra,
  });
  return (res.topics as Message[]).flatMap((t) => (t.partitions as Message[]).map((p) => p.errorCode as number));
}

async function fetchOffsets(c: KafkaConnection, groupId: string): Promise<bigint[]> {
  const res = await c.send(ApiKey.OffsetFetch, 7, {
    groupId,
    topics: [{ name: TOPIC, partitionIndexes: [0, 1] }],
    requireStable: false,
  });
  expectError(res.errorCode, E.NONE, `OffsetFetch ${groupId}`);
  return (res.topics as Message[]).flatMap((t) => (t.partitions as Message[]).map((p) => p.committedOffset as bigint));
}

async function heartbeat(
  c: KafkaConnection,
  groupId: string,
  generationId: number,
  memberId: string,
  version = 3,
): Promise<number> {
  const res = await c.send(ApiKey.Heartbeat, version, { groupId, generationId, memberId, groupInstanceId: null });
  return res.errorCode;
}

async function syncGroup(
  c: KafkaConnection,
  version: number,
  m: Member,
  extra: Partial<Message> = {},
): Promise<number> {
  const res = await c.send(ApiKey.SyncGroup, version, {
    groupId: m.groupId,
    generationId: m.generationId,
    memberId: m.memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocolName: "range",
    assignments: [],
    ...extra,
  });
  return res.errorCode;
}

async function describe(c: KafkaConnection, groupId: string): Promise<{ state: string; members: number }> {
  const res = await c.send(ApiKey.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false });
  const g = (res.groups as Message[])[0];
  expectError(g.errorCode, E.NONE, `DescribeGroups ${groupId}`);
  return { state: g.groupState, members: (g.members as Message[]).length };
}

async function leave(c: KafkaConnection, m: Member): Promise<void> {
  const res = await c.send(ApiKey.LeaveGroup, 3, {
    groupId: m.groupId,
    members: [{ memberId: m.memberId, groupInstanceId: null }],
  });
  expectError(res.errorCode, E.NONE, "LeaveGroup");
  expectError((res.members as Message[])[0].errorCode, E.NONE, "LeaveGroup member");
}

/** Sends raw bytes on a fresh socket; resolves with whether the broker closed it (within waitMs) and what came back. */
function raw(bytes: Buffer, waitMs = 2_000): Promise<{ closed: boolean; data: Buffer }> {
  const { host, port } = parseHostPort(tb.bootstrap);
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ closed, data: Buffer.concat(chunks) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    s.on("data", (d) => chunks.push(d));
    s.on("close", () => finish(true));
    s.on("error", () => finish(true));
    s.on("connect", () => s.write(bytes));
  });
}

function str(s: string): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(s));
  b.writeInt16BE(Buffer.byteLength(s));
  b.write(s, 2);
  return b;
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function frame(parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([i32(body.length), body]);
}
/** Request header v1 (JoinGroup v5 is not flexible). */
function header(apiKey: number, version: number, correlationId: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(version, 2);
  b.writeInt32BE(correlationId, 4);
  return Buffer.concat([b, str("gbi-raw")]);
}

/** Bytes in the .log segments of __consumer_offsets. */
function offsetsLogBytes(): number {
  let n = 0;
  for (const d of readdirSync(tb.dir)) {
    if (!d.startsWith("__consumer_offsets-")) continue;
    for (const f of readdirSync(join(tb.dir, d))) if (f.endsWith(".log")) n += statSync(join(tb.dir, d, f)).size;
  }
  return n;
}

const good = new Map<string, bigint[]>(); // groups whose good commits must survive the restart

test(
  "OffsetCommit from an unknown generation gets ILLEGAL_GENERATION, from an unknown member UNKNOWN_MEMBER_ID; " +
    "neither commits",
  async () => {
    const m = await stableMember(conn, "gbi-commit");
    expectError((await commit(conn, 8, m.groupId, m.generationId, m.memberId, 10n))[0], E.NONE, "a valid commit");
    for (const v of [1, 2, 5, 7, 8]) {
      for (const gen of [m.generationId + 1, m.generationId + 1000, 0]) {
        assert.deepEqual(
          (await commit(conn, v, m.groupId, gen, m.memberId, 99n)).map(name),
          [name(E.ILLEGAL_GENERATION), name(E.ILLEGAL_GENERATION)],
          `OffsetCommit v${v}, generation ${gen} (current ${m.generationId})`,
        );
      }
      assert.deepEqual(
        (await commit(conn, v, m.groupId, m.generationId, "no-such-member", 99n)).map(name),
        [name(E.UNKNOWN_MEMBER_ID), name(E.UNKNOWN_MEMBER_ID)],
        `OffsetCommit v${v} from an unknown member`,
      );
      // Outside group management (generation -1, no member id) while the group has members: only members may commit.
      assert.deepEqual(
        (await commit(conn, v, m.groupId, -1, "", 99n)).map(name),
        [name(E.UNKNOWN_MEMBER_ID), name(E.UNKNOWN_MEMBER_ID)],
        `OffsetCommit v${v} without a member into a group with members`,
      );
    }
    // v0 has no generation or member: a standalone commit, refused while the group has members.
    assert.deepEqual(
      (await commit(conn, 0, m.groupId, -1, "", 99n)).map(name),
      [name(E.UNKNOWN_MEMBER_ID), name(E.UNKNOWN_MEMBER_ID)],
      "OffsetCommit v0",
    );
    // A static member id that was never seen.
    assert.deepEqual(
      (await commit(conn, 7, m.groupId, m.generationId, m.memberId, 99n, { groupInstanceId: "no-such-instance" })).map(
        name,
      ),
      [name(E.UNKNOWN_MEMBER_ID), name(E.UNKNOWN_MEMBER_ID)],
      "OffsetCommit v7 with an unknown group.instance.id",
    );
    // A group that does not exist, with a generation: Kafka answers ILLEGAL_GENERATION (before v9) and creates nothing.
    assert.deepEqual(
      (await commit(conn, 8, "gbi-never-joined", 3, "someone", 99n)).map(name),
      [name(E.ILLEGAL_GENERATION), name(E.ILLEGAL_GENERATION)],
      "OffsetCommit to an unknown group with a generation",
    );
    assert.deepEqual(await describe(conn, "gbi-never-joined"), { state: "Dead", members: 0 });
    assert.deepEqual(await fetchOffsets(conn, "gbi-never-joined"), [-1n, -1n]);
    // Unknown partitions are refused per partition, the group's commit stands.
    const unknownPartition = await conn.send(ApiKey.OffsetCommit, 8, {
      groupId: m.groupId,
      generationIdOrMemberEpoch: m.generationId,
      memberId: m.memberId,
      groupInstanceId: null,
      topics: [
        {
          name: TOPIC,
          partitions: [{ partitionIndex: 7, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }],
        },
        {
          name: "gbi-no-such-topic",
          partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }],
        },
      ],
    });
    assert.deepEqual(
      (unknownPartition.topics as Message[]).map((t) => (t.partitions as Message[]).map((p) => name(p.errorCode))),
      [[name(E.UNKNOWN_TOPIC_OR_PARTITION)], [name(E.UNKNOWN_TOPIC_OR_PARTITION)]],
    );
    // Oversized commit metadata (offset.metadata.max.bytes, 4096).
    assert.deepEqual(
      (
        await commit(conn, 8, m.groupId, m.generationId, m.memberId, 99n, {
          topics: [
            {
              name: TOPIC,
              partitions: [
                {
                  partitionIndex: 0,
                  committedOffset: 99n,
                  committedLeaderEpoch: -1,
                  committedMetadata: "x".repeat(5000),
                },
              ],
            },
          ],
        })
      ).map(name),
      [name(E.OFFSET_METADATA_TOO_LARGE)],
    );
    assert.deepEqual(await fetchOffsets(conn, m.groupId), [10n, 10n], "a refused commit changed the committed offsets");
    assert.deepEqual(await describe(conn, m.groupId), { state: "Stable", members: 1 });
    expectError(
      await heartbeat(conn, m.groupId, m.generationId, m.memberId),
      E.NONE,
      "the member's heartbeat after the refused commits",
    );
    await leave(conn, m);
    good.set(m.groupId, [10n, 10n]);
    await stillServing();
  },
);

test(
  "SyncGroup with a wrong generation gets ILLEGAL_GENERATION (Stable and mid-rebalance); the group still " +
    "completes",
  async () => {
    const m = await stableMember(conn, "gbi-sync");
    for (const v of [0, 3, 5]) {
      for (const gen of [m.generationId + 1, m.generationId - 1, -1]) {
        expectError(
          await syncGroup(conn, v, { ...m, generationId: gen }),
          E.ILLEGAL_GENERATION,
          `SyncGroup v${v}, generation ${gen} (current ${m.generationId})`,
        );
      }
      expectError(
        await syncGroup(conn, v, { ...m, memberId: "no-such-member" }),
        E.UNKNOWN_MEMBER_ID,
        `SyncGroup v${v} from an unknown member`,
      );
      expectError(
        await syncGroup(conn, v, { ...m, groupId: "gbi-no-such-group" }),
        E.UNKNOWN_MEMBER_ID,
        `SyncGroup v${v} to an unknown group`,
      );
    }
    expectError(
      await syncGroup(conn, 5, m, { protocolName: "roundrobin" }),
      E.INCONSISTENT_GROUP_PROTOCOL,
      "SyncGroup v5 naming another protocol",
    );
    expectError(
      await syncGroup(conn, 5, m, { protocolType: "connect" }),
      E.INCONSISTENT_GROUP_PROTOCOL,
      "SyncGroup v5 naming another protocol type",
    );
    expectError(
      await heartbeat(conn, m.groupId, m.generationId + 1, m.memberId),
      E.ILLEGAL_GENERATION,
      "Heartbeat with a wrong generation",
    );
    assert.deepEqual(
      await describe(conn, m.groupId),
      { state: "Stable", members: 1 },
      "a bad SyncGroup disturbed a Stable group",
    );

    // Mid-rebalance: a second member joins; the leader's JoinGroup (a rejoin) and the
    // newcomer's complete the next generation, which waits for the leader's SyncGroup.
    const c2 = await KafkaConnection.open(tb.bootstrap, { clientId: "gbi-2" });
    try {
      const meta = subscription([TOPIC]);
      const first = await c2.send(ApiKey.JoinGroup, 5, joinBody(m.groupId, "", meta));
      expectError(first.errorCode, E.MEMBER_ID_REQUIRED, "second member's first JoinGroup");
      const joining = c2.send(ApiKey.JoinGroup, 5, joinBody(m.groupId, first.memberId, meta));
      expectError(
        await heartbeat(conn, m.groupId, m.generationId, m.memberId),
        E.REBALANCE_IN_PROGRESS,
        "the leader's heartbeat once a member joins",
      );
      const [j1, j2] = await Promise.all([
        conn.send(ApiKey.JoinGroup, 5, joinBody(m.groupId, m.memberId, meta)),
        joining,
      ]);
      expectError(j1.errorCode, E.NONE, "leader's rejoin");
      expectError(j2.errorCode, E.NONE, "second member's join");
      const gen = j1.generationId as number;
      assert.equal(gen, m.generationId + 1);
      assert.deepEqual(await describe(conn, m.groupId), { state: "CompletingRebalance", members: 2 });
      const second: Member = { groupId: m.groupId, memberId: j2.memberId, generationId: gen };
      // Wrong generations from both members while the group waits for the assignment.
      expectError(
        await syncGroup(c2, 3, { ...second, generationId: m.generationId }),
        E.ILLEGAL_GENERATION,
        "follower's SyncGroup with the previous generation",
      );
      expectError(
        await syncGroup(
          conn,
          3,
          { ...m, generationId: gen + 1 },
          { assignments: [{ memberId: m.memberId, assignment: assignment([0, 1]) }] },
        ),
        E.ILLEGAL_GENERATION,
        "leader's SyncGroup with a future generation",
      );
      expectError(
        (await commit(conn, 8, m.groupId, m.generationId, m.memberId, 50n))[0],
        E.ILLEGAL_GENERATION,
        "OffsetCommit with the previous generation during the rebalance",
      );
      assert.equal((await describe(conn, m.groupId)).state, "CompletingRebalance");
      // The right generation completes it: the follower waits for the leader's assignment.
      const followerSync = c2.send(ApiKey.SyncGroup, 3, {
        groupId: m.groupId,
        generationId: gen,
        memberId: second.memberId,
        groupInstanceId: null,
        assignments: [],
      });
      const leaderSync = await conn.send(ApiKey.SyncGroup, 3, {
        groupId: m.groupId,
        generationId: gen,
        memberId: m.memberId,
        groupInstanceId: null,
        assignments: [
          { memberId: m.memberId, assignment: assignment([0]) },
          { memberId: second.memberId, assignment: assignment([1]) },
        ],
      });
      expectError(leaderSync.errorCode, E.NONE, "leader's SyncGroup");
      const f = await followerSync;
      expectError(f.errorCode, E.NONE, "follower's SyncGroup");
      assert.deepEqual(f.assignment, assignment([1]));
      assert.deepEqual(await describe(conn, m.groupId), { state: "Stable", members: 2 });
      await leave(c2, second);
      await leave(conn, { ...m, generationId: gen });
    } finally {
      c2.close();
    }
    await stillServing();
  },
);

test(
  "Heartbeats to unknown and deleted groups get UNKNOWN_MEMBER_ID; DeleteGroups answers GROUP_ID_NOT_FOUND " +
    "and NON_EMPTY_GROUP",
  async () => {
    for (const v of [0, 1, 3, 4]) {
      expectError(
        await heartbeat(conn, "gbi-never-existed", 1, "someone", v),
        E.UNKNOWN_MEMBER_ID,
        `Heartbeat v${v} to a group that never existed`,
      );
    }
    expectError(await heartbeat(conn, "", 1, "someone"), E.INVALID_GROUP_ID, "Heartbeat with an empty group id");

    const m = await stableMember(conn, "gbi-deleted");
    expectError(
      (await commit(conn, 8, m.groupId, m.generationId, m.memberId, 5n))[0],
      E.NONE,
      "commit before deletion",
    );
    let del = await conn.send(ApiKey.DeleteGroups, 2, { groupsNames: [m.groupId, "gbi-never-existed"] });
    assert.deepEqual(
      (del.results as Message[]).map((r) => [r.groupId, name(r.errorCode)]),
      [
        [m.groupId, name(E.NON_EMPTY_GROUP)],
        ["gbi-never-existed", name(E.GROUP_ID_NOT_FOUND)],
      ],
    );
    await leave(conn, m);
    // An Empty group: the former member is unknown.
    expectError(
      await heartbeat(conn, m.groupId, m.generationId, m.memberId),
      E.UNKNOWN_MEMBER_ID,
      "Heartbeat from a member that left",
    );
    del = await conn.send(ApiKey.DeleteGroups, 2, { groupsNames: [m.groupId] });
    expectError((del.results as Message[])[0].errorCode, E.NONE, "DeleteGroups of the Empty group");
    for (const v of [0, 3, 4]) {
      expectError(
        await heartbeat(conn, m.groupId, m.generationId, m.memberId, v),
        E.UNKNOWN_MEMBER_ID,
        `Heartbeat v${v} to the deleted group`,
      );
      expectError(
        await heartbeat(conn, m.groupId, m.generationId + 1, "someone-else", v),
        E.UNKNOWN_MEMBER_ID,
        `Heartbeat v${v} to the deleted group, unknown member`,
      );
    }
    expectError(await syncGroup(conn, 3, m), E.UNKNOWN_MEMBER_ID, "SyncGroup to the deleted group");
    expectError(
      (await commit(conn, 8, m.groupId, m.generationId, m.memberId, 6n))[0],
      E.ILLEGAL_GENERATION,
      "OffsetCommit with a generation to the deleted group",
    );
    del = await conn.send(ApiKey.DeleteGroups, 2, { groupsNames: [m.groupId] });
    expectError((del.results as Message[])[0].errorCode, E.GROUP_ID_NOT_FOUND, "DeleteGroups of the deleted group");
    assert.deepEqual(await describe(conn, m.groupId), { state: "Dead", members: 0 });
    assert.deepEqual(await fetchOffsets(conn, m.groupId), [-1n, -1n], "the deleted group's offsets");
    const leaveDeleted = await conn.send(ApiKey.LeaveGroup, 3, {
      groupId: m.groupId,
      members: [{ memberId: m.memberId, groupInstanceId: null }],
    });
    expectError(
      (leaveDeleted.members as Message[])[0].errorCode,
      E.UNKNOWN_MEMBER_ID,
      "LeaveGroup from the deleted group",
    );
    good.set(m.groupId, [-1n, -1n]);
    await stillServing();
  },
);

test(
  "JoinGroup with several MB of protocol metadata: Kafka's errors below socket.request.max.bytes, a closed " +
    "connection above it",
  async () => {
    // 4 MiB: read and joined, but the group's metadata record cannot be stored (message.max.bytes of
    // __consumer_offsets): the leader's SyncGroup fails as Kafka's does (UNKNOWN_SERVER_ERROR) and the
    // group goes back to rebalancing; no oversized record reaches the log.
    const big = Buffer.alloc(4 << 20, 0x61);
    const c = await KafkaConnection.open(tb.bootstrap, { clientId: "gbi-big" });
    try {
      const first = await c.send(ApiKey.JoinGroup, 5, joinBody("gbi-big", "", big));
      expectError(first.errorCode, E.MEMBER_ID_REQUIRED, "first JoinGroup with 4 MiB of metadata");
      const j = await c.send(ApiKey.JoinGroup, 5, joinBody("gbi-big", first.memberId, big));
      expectError(j.errorCode, E.NONE, "JoinGroup with 4 MiB of metadata");
      const m: Member = { groupId: "gbi-big", memberId: j.memberId, generationId: j.generationId };
      const s = await c.send(ApiKey.SyncGroup, 3, {
        groupId: m.groupId,
        generationId: m.generationId,
        memberId: m.memberId,
        groupInstanceId: null,
        assignments: [{ memberId: m.memberId, assignment: assignment([0, 1]) }],
      });
      assert.notEqual(s.errorCode, E.NONE, "a group whose metadata record is over message.max.bytes was stored");
      expectError(s.errorCode, E.UNKNOWN_SERVER_ERROR, "SyncGroup of the oversized group");
      expectError(
        await heartbeat(c, m.groupId, m.generationId, m.memberId),
        E.REBALANCE_IN_PROGRESS,
        "heartbeat after the failed store",
      );
      await leave(c, m);
      assert.deepEqual(await describe(conn, m.groupId), { state: "Empty", members: 0 });
    } finally {
      c.close();
    }
    assert.ok(
      offsetsLogBytes() < 1 << 20,
      `__consumer_offsets holds ${offsetsLogBytes()} bytes: the oversized group metadata reached the log`,
    );
    await stillServing();

    // Over socket.request.max.bytes: the broker closes that connection without reading it.
    const c2 = await KafkaConnection.open(tb.bootstrap, { clientId: "gbi-huge" });
    try {
      const huge = Buffer.alloc(MAX_REQUEST + (1 << 20), 0x62);
      await assert.rejects(c2.send(ApiKey.JoinGroup, 5, joinBody("gbi-huge", "", huge)), /closed|ECONNRESET|EPIPE/);
    } finally {
      c2.close();
    }
    assert.deepEqual(await describe(conn, "gbi-huge"), { state: "Dead", members: 0 });
    await stillServing();

    // Many protocols: a 2 MiB request of 20,000 protocol entries is answered.
    const many = Array.from({ length: 20_000 }, (_, i) => ({ name: `p${i}`, metadata: Buffer.alloc(64) }));
    const r = await conn.send(ApiKey.JoinGroup, 5, { ...joinBody("gbi-many", "", Buffer.alloc(0)), protocols: many });
    expectError(r.errorCode, E.MEMBER_ID_REQUIRED, "JoinGroup with 20,000 protocols");
    await stillServing();
  },
);

test("Malformed and inconsistent JoinGroups: a closed connection or Kafka's error, never a crash", async () => {
  // A protocols array claiming 2^31-1 entries with none present.
  const lying = frame([
    header(ApiKey.JoinGroup, 5, 1),
    str("gbi-lying"),
    i32(10_000),
    i32(10_000),
    str(""),
    Buffer.from([0xff, 0xff]),
    str("consumer"),
    i32(0x7fffffff),
  ]);
  const r1 = await raw(lying);
  assert.ok(r1.closed, "a JoinGroup whose array count runs past the frame was answered");
  // Metadata bytes claiming more than the frame holds.
  const overrun = frame([
    header(ApiKey.JoinGroup, 5, 2),
    str("gbi-overrun"),
    i32(10_000),
    i32(10_000),
    str(""),
    Buffer.from([0xff, 0xff]),
    str("consumer"),
    i32(1),
    str("range"),
    i32(50 << 20),
    Buffer.alloc(16),
  ]);
  assert.ok((await raw(overrun)).closed, "a JoinGroup whose metadata runs past the frame was answered");
  // Truncated in the middle of the group id.
  const truncated = frame([header(ApiKey.JoinGroup, 5, 3), Buffer.from([0x00, 0x40, 0x61, 0x62])]);
  assert.ok((await raw(truncated)).closed, "a truncated JoinGroup was answered");
  // A negative string length for a non-nullable group id.
  const negative = frame([
    header(ApiKey.JoinGroup, 5, 4),
    Buffer.from([0xff, 0xfe]),
    i32(10_000),
    i32(10_000),
    str(""),
    Buffer.from([0xff, 0xff]),
    str("consumer"),
    i32(0),
  ]);
  assert.ok((await raw(negative)).closed, "a JoinGroup with a negative group id length was answered");
  await stillServing();

  // Well-formed but wrong: Kafka's errors.
  const meta = subscription([TOPIC]);
  expectError(
    (await conn.send(ApiKey.JoinGroup, 5, joinBody("", "", meta))).errorCode,
    E.INVALID_GROUP_ID,
    "JoinGroup with an empty group id",
  );
  expectError(
    (await conn.send(ApiKey.JoinGroup, 5, joinBody("gbi-timeouts", "", meta, { sessionTimeoutMs: 1 }))).errorCode,
    E.INVALID_SESSION_TIMEOUT,
    "session timeout below group.min.session.timeout.ms",
  );
  expectError(
    (await conn.send(ApiKey.JoinGroup, 5, joinBody("gbi-timeouts", "", meta, { sessionTimeoutMs: 2_000_000_000 })))
      .errorCode,
    E.INVALID_SESSION_TIMEOUT,
    "session timeout above group.max.session.timeout.ms",
  );
  expectError(
    (await conn.send(ApiKey.JoinGroup, 5, joinBody("gbi-noproto", "", meta, { protocols: [] }))).errorCode,
    E.INCONSISTENT_GROUP_PROTOCOL,
    "JoinGroup without protocols",
  );
  expectError(
    (await conn.send(ApiKey.JoinGroup, 5, joinBody("gbi-noproto", "", meta, { protocolType: "" }))).errorCode,
    E.INCONSISTENT_GROUP_PROTOCOL,
    "JoinGroup without a protocol type",
  );
  expectError(
    (await conn.send(ApiKey.JoinGroup, 5, joinBody("gbi-unknown-member", "made-up-member", meta))).errorCode,
    E.UNKNOWN_MEMBER_ID,
    "JoinGroup with a made-up member id to a new group",
  );

  // Garbage where the consumer protocol's subscription belongs: the group works, OffsetDelete treats every
  // topic as subscribed.
  const m = await stableMember(conn, "gbi-garbage", Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]));
  const odel = await conn.send(ApiKey.OffsetDelete, 0, {
    groupId: m.groupId,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }],
  });
  expectError(odel.errorCode, E.NONE, "OffsetDelete on the garbage-metadata group");
  expectError(
    odel.topics[0].partitions[0].errorCode,
    E.GROUP_SUBSCRIBED_TO_TOPIC,
    "OffsetDelete of a possibly subscribed topic",
  );
  // Another member with another protocol type: refused.
  expectError(
    (await conn.send(ApiKey.JoinGroup, 5, joinBody(m.groupId, "", meta, { protocolType: "connect" }))).errorCode,
    E.INCONSISTENT_GROUP_PROTOCOL,
    "JoinGroup with a different protocol type",
  );
  expectError(
    (
      await conn.send(
        ApiKey.JoinGroup,
        5,
        joinBody(m.groupId, "", meta, { protocols: [{ name: "sticky", metadata: meta }] }),
      )
    ).errorCode,
    E.INCONSISTENT_GROUP_PROTOCOL,
    "JoinGroup sharing no protocol with the group",
  );
  assert.deepEqual(await describe(conn, m.groupId), { state: "Stable", members: 1 });
  await leave(conn, m);
  await stillServing();
});

test("after all of it: Metadata, a well-behaved group, and after a restart exactly the good commits", async () => {
  await stillServing();
  const m = await stableMember(conn, "gbi-good");
  expectError((await commit(conn, 8, m.groupId, m.generationId, m.memberId, 42n))[0], E.NONE, "a good commit");
  await leave(conn, m);
  good.set(m.groupId, [42n, 42n]);

  conn.close();
  await client.close();
  await tb.stop();
  tb = await startBroker(PROPS, tb.dir);
  client = await KafkaClient.connect(tb.bootstrap);
  conn = await KafkaConnection.open(tb.bootstrap, { clientId: "gbi" });
  await stillServing();
  assert.ok(good.size >= 3, "earlier tests did not run");
  for (const [groupId, offsets] of good)
    assert.deepEqual(await fetchOffsets(conn, groupId), offsets, `${groupId}: committed offsets after the restart`);
  for (const g of ["gbi-big", "gbi-huge", "gbi-never-joined", "gbi-deleted"]) {
    const d = await describe(conn, g);
    assert.ok(d.members === 0 && ["Empty", "Dead"].includes(d.state), `${g} after the restart: ${JSON.stringify(d)}`);
  }
  const again = await stableMember(conn, "gbi-good");
  assert.ok(again.generationId > m.generationId, "the group's generation went back after the restart");
  await leave(conn, again);
});
