import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChannelProcessor, Event } from "../../../src/agent/api.js";
import { SourceCounter } from "../../../src/agent/counters.js";
import { putCounted } from "../../../src/agent/sources/put.js";

function processor(refuse: () => boolean): ChannelProcessor & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    processEvent: async () => {
      calls.push("event");
      if (refuse()) throw new Error("full");
    },
    processEventBatch: async (events: Event[]) => {
      calls.push(`batch ${events.length}`);
      if (refuse()) throw new Error("full");
    },
  } as unknown as ChannelProcessor & { calls: string[] };
}

test(
  "putCounted counts Flume's source counters around the put; " + "a refusal counts ChannelWriteFail and rethrows",
  async () => {
    const c = new SourceCounter("a1", "r1");
    let refuse = true;
    const cp = processor(() => refuse);
    const events: Event[] = [1, 2, 3].map((i) => ({ headers: {}, body: Buffer.from(String(i)) }));
    await assert.rejects(putCounted(c, cp, events), /full/);
    refuse = false;
    await putCounted(c, cp, events, { received: false });
    await putCounted(c, cp, events.slice(0, 1), { call: "event", append: "single" });
    await putCounted(c, cp, [events[0]!], { count: 3, append: "none" });
    assert.deepEqual(cp.calls, ["batch 3", "batch 3", "event", "batch 1"]);
    const got = Object.fromEntries(
      [
        "EventReceivedCount",
        "AppendBatchReceivedCount",
        "AppendReceivedCount",
        "ChannelWriteFail",
        "EventAcceptedCount",
        "AppendBatchAcceptedCount",
        "AppendAcceptedCount",
      ].map((k) => [k, c.get(k as Parameters<SourceCounter["get"]>[0])]),
    );
    assert.deepEqual(got, {
      EventReceivedCount: 3 + 1 + 3,
      AppendBatchReceivedCount: 1,
      AppendReceivedCount: 1,
      ChannelWriteFail: 1,
      EventAcceptedCount: 3 + 1 + 3,
      AppendBatchAcceptedCount: 1,
      AppendAcceptedCount: 1,
    });
  },
);
