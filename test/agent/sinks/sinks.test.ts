import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import pino from "pino";
import { Context, type Event } from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";
import { BatchSink } from "../../../src/agent/sinks/base.js";
import { LoggerSink, dumpEvent } from "../../../src/agent/sinks/logger.js";
import { NullSink } from "../../../src/agent/sinks/null.js";
import { sinkContract } from "../contracts/sink.js";

function captureLogger(): { logger: pino.Logger; lines: () => string[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l) out.push(JSON.parse(l).msg);
      cb();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines: () => out };
}

sinkContract("null", (ch) => {
  const sink = new NullSink("k1", "a1", 100);
  sink.setChannel(ch);
  return { sink, delivered: () => undefined };
});

sinkContract("logger", (ch) => {
  const cap = captureLogger();
  const sink = LoggerSink.fromContext("k1", Context.of({ maxBytesToLog: "64" }), {
    agentName: "a1",
    logger: cap.logger,
  });
  sink.setChannel(ch);
  return {
    sink,
    delivered: async () => {
      await new Promise((r) => setImmediate(r));
      return cap.lines().map((l) => / {1,2}(\S+) }$/.exec(l)![1]);
    },
  };
});

/** A sink whose downstream (an array) can be broken: the base class's rollback under test. */
class CollectSink extends BatchSink {
  broken = false;
  readonly got: string[] = [];
  protected deliver(events: Event[]): void {
    if (this.broken) throw new Error("downstream is down");
    for (const e of events) this.got.push(e.body.toString());
  }
}
sinkContract("BatchSink base (collecting)", (ch) => {
  const sink = new CollectSink("k1", "a1", 7);
  sink.setChannel(ch);
  return {
    sink,
    delivered: () => sink.got,
    breakDownstream: () => void (sink.broken = true),
    repairDownstream: () => void (sink.broken = false),
  };
});

test("logger sink prints Flume's event dump with at most maxBytesToLog bytes", async () => {
  assert.equal(
    dumpEvent({ headers: { a: "1", b: "2" }, body: Buffer.from("Hello") }),
    "Event: { headers:{a=1, b=2} body: 48 65 6C 6C 6F                                  Hello }",
  );
  assert.equal(dumpEvent({ headers: {}, body: Buffer.from("0123456789abcdefXYZ") }, 16).includes("XYZ"), false);
  assert.match(dumpEvent({ headers: {}, body: Buffer.from([0, 0x41]) }), /00 41 +\.A }/);
  const cap = captureLogger();
  const ch = new MemoryChannel("c1");
  ch.start();
  const sink = LoggerSink.fromContext("k1", Context.of({}), { agentName: "a1", logger: cap.logger });
  sink.setChannel(ch);
  const tx = ch.getTransaction();
  tx.begin();
  await tx.put({ headers: { h: "v" }, body: Buffer.from("a long body of more than sixteen bytes") });
  await tx.commit();
  tx.close();
  assert.equal(await sink.process(), "READY");
  assert.deepEqual(cap.lines(), [
    "Event: { headers:{h=v} body: 61 20 6C 6F 6E 67 20 62 6F 64 79 20 6F 66 20 6D a long body of m }",
  ]);
  assert.equal(sink.counter.get("EventDrainSuccessCount"), 1);
  ch.stop();
});

test("null sink: batchSize from the config; bad values name the key", () => {
  const env = { agentName: "a1", logger: pino({ level: "silent" }) };
  assert.equal(NullSink.fromContext("k1", Context.of({ batchSize: "7" }), env).batchSize(), 7);
  assert.throws(
    () => NullSink.fromContext("k1", Context.of({ batchSize: "x" }, "a1.sinks.k1"), env),
    /a1\.sinks\.k1\.batchSize must be an integer/,
  );
});
