/**
 * The contract every source passes: started by a SourceRunner with a channel
 * processor over a memory channel, it delivers N events the harness produces,
 * and it stops cleanly (stop() resolves, nothing arrives after it).
 *
 *   sourceContract("netcat", () => {
 *     const source = new NetcatSource("r1", "a1", "127.0.0.1", 0);
 *     return { source, produce: async (n) => { ...send n lines...; return bodies } };
 *   });
 *
 * produce(n) runs after start(); it returns the bodies the channel must hold
 * (any order), or nothing to check the count only.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import type { Source } from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";
import { DefaultChannelProcessor } from "../../../src/agent/runtime/channel-processor.js";
import { SourceRunner } from "../../../src/agent/runtime/runners.js";
import { ReplicatingSelector } from "../../../src/agent/runtime/selectors.js";
import { waitFor } from "../../helpers/wait.js";

export interface SourceHarness {
  source: Source;
  produce(n: number): Promise<string[] | undefined>;
  cleanup?(): void | Promise<void>;
}

/** every body in the channel, left in place (the take transaction is rolled back) */
async function bodiesOf(ch: MemoryChannel): Promise<string[]> {
  const tx = ch.getTransaction();
  tx.begin();
  const out: string[] = [];
  for (;;) {
    const e = await tx.take();
    if (!e) break;
    out.push(e.body.toString());
  }
  await tx.rollback();
  tx.close();
  return out;
}

export function sourceContract(name: string, makeSource: () => SourceHarness | Promise<SourceHarness>, n = 50): void {
  describe(`source contract: ${name}`, () => {
    test(`delivers ${n} events through a channel processor and stops cleanly`, async () => {
      const ch = new MemoryChannel("contract", { capacity: 10000, transactionCapacity: 10000 });
      ch.start();
      const h = await makeSource();
      const runner = new SourceRunner(
        h.source,
        new DefaultChannelProcessor(new ReplicatingSelector([ch])),
        pino({ level: "silent" }),
        {
          backoffSleepIncrement: 10,
          maxBackoffSleep: 50,
        },
      );
      await runner.start();
      let stopped = false;
      try {
        const expected = await h.produce(n);
        await waitFor(() => ch.size() >= n, `${n} events in the channel (have ${ch.size()})`);
        await runner.stop();
        stopped = true;
        const sizeAtStop = ch.size();
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(ch.size(), sizeAtStop, "nothing arrives after stop()");
        const got = await bodiesOf(ch);
        if (expected) assert.deepEqual([...got].sort(), [...expected].sort());
        else assert.ok(got.length >= n);
      } finally {
        if (!stopped) await runner.stop();
        ch.stop();
        await h.cleanup?.();
      }
    });
  });
}
