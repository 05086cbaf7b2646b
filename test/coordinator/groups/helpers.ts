import { Writer } from "../../../src/protocol/primitives.js";
import {
  GroupCoordinator,
  InMemoryGroupStore,
  ManualScheduler,
  type GroupCoordinatorConfig,
  type GroupStore,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type SyncGroupResponse,
} from "../../../src/coordinator/groups/index.js";

export const GROUP = "g1";
export const SESSION = 10_000;
export const REBALANCE = 30_000;

/** A consumer protocol subscription (ConsumerProtocolSubscription v0/v1 as the Java client writes it). */
export function subscription(topics: string[], version = 1): Buffer {
  const w = new Writer();
  w.int16(version);
  w.int32(topics.length);
  for (const t of topics) w.nullableString(t, false);
  w.nullableBytes(null, false); // userData
  if (version >= 1) w.int32(0); // ownedPartitions
  return w.toBuffer();
}

export interface Harness {
  coord: GroupCoordinator;
  sched: ManualScheduler;
  store: InMemoryGroupStore;
}

export async function harness(
  opts: { config?: Partial<GroupCoordinatorConfig>; store?: InMemoryGroupStore; sched?: ManualScheduler } = {},
): Promise<Harness> {
  const store = opts.store ?? new InMemoryGroupStore();
  const sched = opts.sched ?? new ManualScheduler();
  const coord = new GroupCoordinator({
    store,
    scheduler: sched,
    config: { groupInitialRebalanceDelayMs: 0, ...opts.config },
  });
  await coord.load();
  return { coord, sched, store };
}

/** A second coordinator over the same store: a broker restart. */
export async function restart(h: Harness, store: GroupStore = h.store): Promise<GroupCoordinator> {
  await h.coord.close();
  const coord = new GroupCoordinator({ store, scheduler: h.sched, config: { groupInitialRebalanceDelayMs: 0 } });
  await coord.load();
  return coord;
}

/** Lets promise continuations (store appends, resolved callbacks) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export function joinReq(over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    apiVersion: 5,
    clientId: "client",
    clientHost: "/127.0.0.1",
    groupId: GROUP,
    sessionTimeoutMs: SESSION,
    rebalanceTimeoutMs: REBALANCE,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription(["t1"]) }],
    ...over,
  };
}

/** A promise's state without waiting for it. */
export async function settled<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let out: { done: boolean; value?: T } = { done: false };
  p.then((value) => (out = { done: true, value }));
  await flush();
  return out;
}

/**
 * Joins a new dynamic member with the v4+ two-step join: returns the member id
 * and the pending JoinGroup promise (which resolves when the rebalance completes).
 */
export async function joinNew(
  coord: GroupCoordinator,
  over: Partial<JoinGroupRequest> = {},
): Promise<{ memberId: string; join: Promise<JoinGroupResponse> }> {
  const first = await coord.joinGroup(joinReq(over));
  if (first.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  return { memberId: first.memberId, join: coord.joinGroup(joinReq({ ...over, memberId: first.memberId })) };
}

export interface StableGroup {
  generationId: number;
  leader: string;
  members: string[];
  joins: JoinGroupResponse[];
  syncs: SyncGroupResponse[];
}

/**
 * Brings `n` dynamic members into a Stable group: all join, the rebalance
 * completes (initial delay 0), the leader assigns "assignment-<i>" to member i.
 */
export async function stableGroup(h: Harness, n: number, over: Partial<JoinGroupRequest> = {}): Promise<StableGroup> {
  const pending: { memberId: string; join: Promise<JoinGroupResponse> }[] = [];
  for (let i = 0; i < n; i++) pending.push(await joinNew(h.coord, { clientId: `c${i}`, ...over }));
  h.sched.advance(0);
  const joins = await Promise.all(pending.map((p) => p.join));
  const members = pending.map((p) => p.memberId);
  const leader = joins[0].leader;
  const generationId = joins[0].generationId;
  const groupId = over.groupId ?? GROUP;
  const syncs = await Promise.all(
    members.map((m) =>
      h.coord.syncGroup({
        groupId,
        generationId,
        memberId: m,
        assignments:
          m === leader ? members.map((id, i) => ({ memberId: id, assignment: Buffer.from(`assignment-${i}`) })) : [],
      }),
    ),
  );
  return { generationId, leader, members, joins, syncs };
}
