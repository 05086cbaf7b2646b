/**
 * The contract every interceptor passes: it never throws on arbitrary events
 * (empty, binary, invalid UTF-8, large, odd headers), returns an Event with
 * string headers and a Buffer body or null, and null means the event is
 * dropped (it never reaches the channel).
 *
 *   interceptorContract("timestamp", () => timestampInterceptor(Context.of({})));
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Event, Interceptor } from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";
import { DefaultChannelProcessor } from "../../../src/agent/runtime/channel-processor.js";
import { ReplicatingSelector } from "../../../src/agent/runtime/selectors.js";

function samples(): Event[] {
  return [
    { headers: {}, body: Buffer.alloc(0) },
    { headers: {}, body: Buffer.from("hello world") },
    { headers: { timestamp: "1", host: "h", key: "k", id: "x" }, body: Buffer.from("with headers") },
    { headers: { "": "", " ": "\n", ünï: "çødé" }, body: Buffer.from("odd header names 🎉") },
    { headers: {}, body: Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]) },
    { headers: {}, body: randomBytes(4096) },
    // large, with word boundaries: a pattern like (\w+) (\w+) is quadratic on 200 kB of one word (in Java too)
    { headers: {}, body: Buffer.from("words ".repeat(40_000)) },
    { headers: {}, body: Buffer.from("line one\nline two\r\n\ttabbed $1 \\ ${x} (?<g>)") },
    {
      headers: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`h${i}`, `v${i}`])),
      body: Buffer.from("many headers"),
    },
  ];
}

export function interceptorContract(name: string, makeInterceptor: () => Interceptor | Promise<Interceptor>): void {
  describe(`interceptor contract: ${name}`, () => {
    test("never throws on arbitrary events and returns an event or null", async () => {
      const ic = await makeInterceptor();
      await ic.initialize?.();
      for (const e of samples()) {
        let out: Event | null = null;
        assert.doesNotThrow(
          () => {
            out = ic.intercept(e);
          },
          `intercept threw on ${e.body.subarray(0, 20).toString("hex")}`,
        );
        if (out !== null) {
          const o = out as Event;
          assert.ok(Buffer.isBuffer(o.body));
          for (const [k, v] of Object.entries(o.headers)) assert.equal(typeof v, "string", `header ${k}`);
        }
      }
      await ic.close?.();
    });

    test("null means drop: exactly the events it keeps reach the channel", async () => {
      const probe = await makeInterceptor();
      const kept = samples().filter((e) => probe.intercept(e) !== null).length;
      const ch = new MemoryChannel("contract", { capacity: 100, transactionCapacity: 100 });
      ch.start();
      const cp = new DefaultChannelProcessor(new ReplicatingSelector([ch]), [await makeInterceptor()]);
      await cp.initialize();
      await cp.processEventBatch(samples());
      assert.equal(ch.size(), kept);
      for (const e of samples().slice(0, 3)) await cp.processEvent(e);
      const keptSingles = samples()
        .slice(0, 3)
        .filter((e) => probe.intercept(e) !== null).length;
      assert.equal(ch.size(), kept + keptSingles);
      ch.stop();
    });
  });
}
