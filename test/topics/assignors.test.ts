import { test } from "node:test";
import assert from "node:assert/strict";
import {
  rangeAssign,
  roundRobinAssign,
  leaderAssignments,
  joinProtocols,
  subscribedTopics,
} from "../../src/topics/assignors.js";
import { decodeAssignment, decodeSubscription, encodeSubscription } from "../../src/protocol/consumer-protocol.js";

const flat = (m: Map<string, { topic: string; partitions: number[] }[]>, id: string) =>
  (m.get(id) ?? []).flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`));

test("range: contiguous ranges per topic, the first members get the remainder", () => {
  const counts = new Map([
    ["t", 5],
    ["u", 2],
  ]);
  const plan = rangeAssign(
    [
      { memberId: "b", topics: ["t", "u"] },
      { memberId: "a", topics: ["t", "u"] },
    ],
    counts,
  );
  assert.deepEqual(flat(plan, "a"), ["t-0", "t-1", "t-2", "u-0"]);
  assert.deepEqual(flat(plan, "b"), ["t-3", "t-4", "u-1"]);
});

test("range: members only get topics they subscribe to; static members order by instance id", () => {
  const plan = rangeAssign(
    [
      { memberId: "a", groupInstanceId: "z", topics: ["t"] },
      { memberId: "b", groupInstanceId: "y", topics: ["t", "u"] },
    ],
    new Map([
      ["t", 2],
      ["u", 3],
    ]),
  );
  assert.deepEqual(flat(plan, "b"), ["t-0", "u-0", "u-1", "u-2"]);
  assert.deepEqual(flat(plan, "a"), ["t-1"]);
});

test("roundrobin: partitions dealt in turn, skipping members not subscribed", () => {
  const plan = roundRobinAssign(
    [
      { memberId: "a", topics: ["t", "u"] },
      { memberId: "b", topics: ["t"] },
      { memberId: "c", topics: ["u"] },
    ],
    new Map([
      ["t", 3],
      ["u", 3],
    ]),
  );
  assert.deepEqual(flat(plan, "a"), ["t-0", "t-2", "u-1"]);
  assert.deepEqual(flat(plan, "b"), ["t-1"]);
  assert.deepEqual(flat(plan, "c"), ["u-0", "u-2"]);
});

test("every partition is assigned exactly once, for both assignors and many shapes", () => {
  for (const assign of [rangeAssign, roundRobinAssign]) {
    for (let members = 1; members <= 5; members++) {
      for (let parts = 0; parts <= 9; parts++) {
        const ms = Array.from({ length: members }, (_, i) => ({ memberId: `m${i}`, topics: ["t"] }));
        const plan = assign(ms, new Map([["t", parts]]));
        const all = ms.flatMap((m) => flat(plan, m.memberId)).sort();
        assert.deepEqual(
          all,
          Array.from({ length: parts }, (_, i) => `t-${i}`).sort(),
          `${assign.name} ${members}x${parts}`,
        );
        const sizes = ms.map((m) => flat(plan, m.memberId).length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, "balanced");
      }
    }
  }
});

test("leader assignments read the consumer protocol subscriptions and write Assignment bytes", () => {
  const protocols = joinProtocols(["t"], "roundrobin");
  assert.deepEqual(
    protocols.map((p) => p.name),
    ["roundrobin", "range"],
  );
  assert.deepEqual(decodeSubscription(protocols[0].metadata).topics, ["t"]);
  const members = [
    { memberId: "x", groupInstanceId: null, metadata: protocols[0].metadata },
    // what another Kafka client sends (subscription v0)
    { memberId: "y", groupInstanceId: null, metadata: encodeSubscription(["t"]) },
  ];
  assert.deepEqual(subscribedTopics(members), ["t"]);
  const out = leaderAssignments("range", members, new Map([["t", 4]]));
  assert.deepEqual(
    out.map((o) => [o.memberId, decodeAssignment(o.assignment).partitions]),
    [
      ["x", [{ topic: "t", partitions: [0, 1] }]],
      ["y", [{ topic: "t", partitions: [2, 3] }]],
    ],
  );
});
