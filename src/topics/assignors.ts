/**
 * Client-side partition assignors of the classic consumer protocol, run by
 * the group leader: "range" (Kafka's RangeAssignor) and "roundrobin"
 * (Kafka's RoundRobinAssignor). Their input is every member's subscription as
 * the consumer protocol carries it (src/protocol/consumer-protocol.ts), their
 * output the Assignment bytes for SyncGroup, so a TopicsPort member and any
 * Kafka client can share one group.
 */
import {
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from "../protocol/consumer-protocol.js";

export type AssignorName = "range" | "roundrobin";
export const ASSIGNORS: readonly AssignorName[] = ["range", "roundrobin"];

export interface AssignorMember {
  memberId: string;
  groupInstanceId?: string | null;
  topics: string[];
}

/** Kafka orders members by group.instance.id when they have one, else by member id. */
function memberOrder(a: AssignorMember, b: AssignorMember): number {
  const ka = a.groupInstanceId ?? null;
  const kb = b.groupInstanceId ?? null;
  if (ka !== null && kb !== null) return ka < kb ? -1 : ka > kb ? 1 : 0;
  if (ka !== null) return -1;
  if (kb !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

function add(out: Map<string, Map<string, number[]>>, memberId: string, topic: string, partition: number): void {
  const byTopic = out.get(memberId)!;
  if (!byTopic.has(topic)) byTopic.set(topic, []);
  byTopic.get(topic)!.push(partition);
}

function finish(out: Map<string, Map<string, number[]>>): Map<string, TopicPartitions[]> {
  const res = new Map<string, TopicPartitions[]>();
  for (const [memberId, byTopic] of out) {
    res.set(
      memberId,
      [...byTopic]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((x, y) => x - y) })),
    );
  }
  return res;
}

/**
 * Range: for each topic, its partitions in order are split into contiguous
 * ranges over the members subscribed to it (the first `n % members` members
 * get one more).
 */
export function rangeAssign(
  members: AssignorMember[],
  partitionCounts: Map<string, number>,
): Map<string, TopicPartitions[]> {
  const out = new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const n = partitionCounts.get(topic);
    if (n === undefined) continue;
    const consumers = members.filter((m) => m.topics.includes(topic)).sort(memberOrder);
    const per = Math.floor(n / consumers.length);
    const extra = n % consumers.length;
    consumers.forEach((m, i) => {
      const start = per * i + Math.min(i, extra);
      const len = per + (i < extra ? 1 : 0);
      for (let p = start; p < start + len; p++) add(out, m.memberId, topic, p);
    });
  }
  return finish(out);
}

/**
 * Round robin: every subscribed topic-partition, ordered by topic then
 * partition, dealt to the members in turn, skipping members not subscribed to
 * the partition's topic.
 */
export function roundRobinAssign(
  members: AssignorMember[],
  partitionCounts: Map<string, number>,
): Map<string, TopicPartitions[]> {
  const out = new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
  const sorted = [...members].sort(memberOrder);
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  let next = 0;
  for (const topic of topics) {
    const n = partitionCounts.get(topic) ?? 0;
    for (let p = 0; p < n; p++) {
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[next % sorted.length];
        next++;
        if (m.topics.includes(topic)) {
          add(out, m.memberId, topic, p);
          break;
        }
      }
    }
  }
  return finish(out);
}

export function assignPartitions(
  name: AssignorName,
  members: AssignorMember[],
  partitionCounts: Map<string, number>,
): Map<string, TopicPartitions[]> {
  switch (name) {
    case "range":
      return rangeAssign(members, partitionCounts);
    case "roundrobin":
      return roundRobinAssign(members, partitionCounts);
  }
}

export function isAssignorName(name: string | null | undefined): name is AssignorName {
  return name === "range" || name === "roundrobin";
}

/** JoinGroup protocols for a member: the preferred assignor first, then the others (as Kafka clients list them). */
export function joinProtocols(
  topics: string[],
  preferred: AssignorName,
  owned: TopicPartitions[] = [],
): { name: string; metadata: Buffer }[] {
  const metadata = encodeSubscription(topics, { version: 1, ownedPartitions: owned });
  return [preferred, ...ASSIGNORS.filter((a) => a !== preferred)].map((name) => ({ name, metadata }));
}

/**
 * The leader's job: decodes every member's subscription, runs the chosen
 * assignor, and encodes each member's Assignment for SyncGroup.
 */
export function leaderAssignments(
  protocol: AssignorName,
  members: { memberId: string; groupInstanceId?: string | null; metadata: Buffer | null }[],
  partitionCounts: Map<string, number>,
): { memberId: string; assignment: Buffer }[] {
  const subs: AssignorMember[] = members.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId ?? null,
    topics: m.metadata ? decodeSubscription(m.metadata).topics : [],
  }));
  const plan = assignPartitions(protocol, subs, partitionCounts);
  return subs.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(plan.get(m.memberId) ?? []) }));
}

/** Every topic some member subscribes to. */
export function subscribedTopics(members: { metadata: Buffer | null }[]): string[] {
  const out = new Set<string>();
  for (const m of members) if (m.metadata) for (const t of decodeSubscription(m.metadata).topics) out.add(t);
  return [...out].sort();
}
