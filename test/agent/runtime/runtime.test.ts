import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import {
  ChannelFullError,
  Context,
  EventDeliveryError,
  type Channel,
  type Event,
  type Sink,
  type Status,
} from "../../../src/agent/api.js";
import { MemoryChannel } from "../../../src/agent/channels/memory.js";
import { DefaultChannelProcessor } from "../../../src/agent/runtime/channel-processor.js";
import { MultiplexingSelector, ReplicatingSelector } from "../../../src/agent/runtime/selectors.js";
import { FailoverSinkProcessor, LoadBalancingSinkProcessor } from "../../../src/agent/runtime/sink-processors.js";
import { SinkRunner } from "../../../src/agent/runtime/runners.js";
import { staticInterceptor, timestampInterceptor } from "../../../src/agent/interceptors/headers.js";
import { regexFilterInterceptor } from "../../../src/agent/interceptors/regex.js";

const env = { agentName: "a1", logger: pino({ level: "silent" }) };
const ev = (body: string, headers: Record<string, string> = {}): Event => ({ headers, body: Buffer.from(body) });
const mem = (name: string, capacity = 100) => {
  const c = new MemoryChannel(name, { capacity, transactionCapacity: Math.min(100, capacity), keepAliveSeconds: 0 });
  c.start();
  return c;
};
async function bodies(ch: Channel): Promise<string[]> {
  const tx = ch.getTransaction();
  tx.begin();
  const out: string[] = [];
  for (let n = ch.size(); n > 0; n--) out.push((await tx.take())!.body.toString());
  await tx.rollback();
  tx.close();
  return out;
}

test(
  "channel processor: interceptor chain, then every required channel; " + "a full required channel fails the batch",
  async () => {
    const c1 = mem("c1");
    const c2 = mem("c2", 3);
    const cp = new DefaultChannelProcessor(new ReplicatingSelector([c1, c2]), [
      regexFilterInterceptor(Context.of({ regex: "keep" })),
      staticInterceptor(Context.of({ key: "k", value: "v" })),
    ]);
    await cp.processEventBatch([ev("keep 1"), ev("drop"), ev("keep 2")]);
    assert.deepEqual(await bodies(c1), ["keep 1", "keep 2"]);
    assert.deepEqual(await bodies(c2), ["keep 1", "keep 2"]);
    await assert.rejects(cp.processEventBatch([ev("keep 3"), ev("keep 4")]), ChannelFullError);
    assert.equal(c2.size(), 2, "the full channel rolled back the whole batch");
    await assert.rejects(
      cp.processEvent(ev("keep 5")).then(() => cp.processEvent(ev("keep 6"))),
      ChannelFullError,
    );
  },
);

test("replicating selector: optional channels may fail without failing the put", async () => {
  const c1 = mem("c1");
  const c2 = mem("c2", 1);
  const sel = ReplicatingSelector.fromContext(Context.of({ optional: "c2" }), [c1, c2], env);
  const cp = new DefaultChannelProcessor(sel, [], env.logger);
  // c2 (capacity 1, transactionCapacity 1): the two-event batch is split into two transactions;
  // the first fits, the second finds c2 full, and that failure of an optional channel is ignored
  await cp.processEventBatch([ev("a"), ev("b")]);
  await cp.processEvent(ev("c"));
  assert.deepEqual(await bodies(c1), ["a", "b", "c"]);
  assert.deepEqual(await bodies(c2), ["a"], "c2 took what fitted and refused the rest (full)");
});

test("multiplexing selector: header mapping, optional per value, default", async () => {
  const [c1, c2, c3] = [mem("c1"), mem("c2"), mem("c3")];
  const sel = MultiplexingSelector.fromContext(
    Context.of({ header: "state", "mapping.CZ": "c1", "mapping.US": "c2 c3", "optional.CZ": "c2", default: "c3" }),
    [c1, c2, c3],
    env,
  );
  const cp = new DefaultChannelProcessor(sel);
  await cp.processEventBatch([
    ev("cz", { state: "CZ" }),
    ev("us", { state: "US" }),
    ev("none"),
    ev("other", { state: "XX" }),
  ]);
  assert.deepEqual(await bodies(c1), ["cz"]);
  assert.deepEqual(await bodies(c2), ["us", "cz"]);
  assert.deepEqual(await bodies(c3), ["us", "none", "other"]);
  assert.throws(
    () => MultiplexingSelector.fromContext(Context.of({ "mapping.X": "c9" }, "a1.sources.r1.selector"), [c1], env),
    /a1\.sources\.r1\.selector\.mapping\.X names channel "c9"/,
  );
});

/** A sink that takes one event per call from its channel and fails while `down`. */
class TestSink implements Sink {
  down = false;
  got: string[] = [];
  channel!: Channel;
  constructor(readonly name: string) {}
  setChannel(c: Channel): void {
    this.channel = c;
  }
  start(): void {}
  stop(): void {}
  async process(): Promise<Status> {
    const tx = this.channel.getTransaction();
    tx.begin();
    try {
      const e = await tx.take();
      if (e && this.down) throw new Error(`${this.name} is down`);
      if (e) this.got.push(e.body.toString());
      await tx.commit();
      return e ? "READY" : "BACKOFF";
    } catch (err) {
      await tx.rollback();
      throw new EventDeliveryError("MR_AGENT_DELIVERY", (err as Error).message);
    } finally {
      tx.close();
    }
  }
}

async function fill(ch: Channel, n: number, from = 0): Promise<void> {
  const tx = ch.getTransaction();
  tx.begin();
  for (let i = from; i < from + n; i++) await tx.put(ev(String(i)));
  await tx.commit();
  tx.close();
}

test(
  "failover: highest priority first; a failing sink is penalised, events go to the next; it comes " +
    "back after the penalty",
  async () => {
    const ch = mem("c1");
    const [k1, k2] = [new TestSink("k1"), new TestSink("k2")];
    k1.setChannel(ch);
    k2.setChannel(ch);
    let now = 1000;
    const p = new FailoverSinkProcessor(
      [
        { sink: k1, priority: 10 },
        { sink: k2, priority: 5 },
      ],
      10000,
      env.logger,
      () => now,
    );
    await fill(ch, 6);
    assert.equal(await p.process(), "READY");
    assert.deepEqual(k1.got, ["0"]);
    k1.down = true;
    assert.equal(await p.process(), "READY");
    assert.equal(p.activeSink(), k2);
    assert.deepEqual(k2.got, ["1"], "the event k1 rolled back went to k2");
    await p.process();
    assert.deepEqual(k2.got, ["1", "2"]);
    k1.down = false;
    now += 1999; // penalty 2^1 s
    await p.process();
    assert.deepEqual(k2.got, ["1", "2", "3"], "k1 still penalised");
    now += 1;
    await p.process();
    assert.deepEqual(k1.got, ["0", "4"], "k1 is back after its penalty");
    assert.equal(p.activeSink(), k1);
    k1.down = true;
    k2.down = true;
    await assert.rejects(p.process(), EventDeliveryError);
    assert.equal(ch.size(), 1, "nothing lost when every sink fails");
    assert.deepEqual([...k1.got, ...k2.got].sort(), ["0", "1", "2", "3", "4"]);
  },
);

test("failover: config priorities, duplicate priority and unknown sink are errors", () => {
  const [k1, k2] = [new TestSink("k1"), new TestSink("k2")];
  const p = FailoverSinkProcessor.fromContext(
    Context.of({ "priority.k1": "1", "priority.k2": "9", maxpenalty: "500" }),
    [k1, k2],
    env,
  );
  assert.equal(p.activeSink(), k2);
  assert.equal(p.maxPenaltyMs, 500);
  assert.throws(
    () =>
      FailoverSinkProcessor.fromContext(
        Context.of({ "priority.k1": "1", "priority.k2": "1" }, "a1.sinkgroups.g1.processor"),
        [k1, k2],
        env,
      ),
    /priority\.k2 priority 1 duplicates that of sink k1/,
  );
  assert.throws(
    () =>
      FailoverSinkProcessor.fromContext(
        Context.of({ "priority.k3": "1" }, "a1.sinkgroups.g1.processor"),
        [k1, k2],
        env,
      ),
    /priority\.k3 names sink "k3"/,
  );
});

test("load_balance: round_robin spreads batches; a failing sink is skipped (backoff) and nothing is lost", async () => {
  const ch = mem("c1");
  const sinks = [new TestSink("k1"), new TestSink("k2"), new TestSink("k3")];
  for (const s of sinks) s.setChannel(ch);
  const now = 0;
  const p = new LoadBalancingSinkProcessor(sinks, "round_robin", true, 30000, env.logger, () => now);
  await fill(ch, 9);
  for (let i = 0; i < 3; i++) await p.process();
  assert.deepEqual(
    sinks.map((s) => s.got.length),
    [1, 1, 1],
  );
  sinks[1].down = true;
  for (let i = 0; i < 6; i++) await p.process();
  assert.equal(sinks[1].got.length, 1);
  assert.equal(ch.size(), 0);
  assert.deepEqual(
    sinks.flatMap((s) => s.got).sort((a, b) => Number(a) - Number(b)),
    ["0", "1", "2", "3", "4", "5", "6", "7", "8"],
  );
  for (const s of sinks) s.down = true;
  await fill(ch, 1);
  await assert.rejects(p.process(), /all configured sinks have failed/);
  assert.equal(ch.size(), 1);
  const r = LoadBalancingSinkProcessor.fromContext(
    Context.of({ selector: "random", backoff: "true", "selector.maxTimeOut": "100" }),
    sinks,
    env,
  );
  assert.equal(r.selector, "random");
  assert.throws(
    () => LoadBalancingSinkProcessor.fromContext(Context.of({ selector: "fastest" }, "g"), sinks, env),
    /g\.selector must be round_robin or random/,
  );
});

test(
  "sink runner: stop waits for the batch in flight, which commits; " + "nothing is lost or taken after stop",
  async () => {
    const ch = mem("c1", 1000);
    await fill(ch, 100);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const delivered: string[] = [];
    const sink: Sink = {
      name: "slow",
      setChannel() {},
      start() {},
      stop() {},
      async process() {
        const tx = ch.getTransaction();
        tx.begin();
        const batch: string[] = [];
        for (let i = 0; i < 10; i++) batch.push((await tx.take())!.body.toString());
        await gate;
        delivered.push(...batch);
        await tx.commit();
        tx.close();
        return "READY";
      },
    };
    const runner = new SinkRunner("slow", { start() {}, stop() {}, process: () => sink.process() }, env.logger);
    await runner.start();
    const stopping = runner.stop();
    release();
    await stopping;
    assert.equal(delivered.length, 10);
    assert.equal(ch.size(), 90);
    assert.equal(delivered.length + ch.size(), 100);
  },
);

test("timestamp interceptor through a processor stamps every event of a batch", async () => {
  const ch = mem("c1");
  const cp = new DefaultChannelProcessor(new ReplicatingSelector([ch]), [
    timestampInterceptor(Context.of({}), env, () => 5),
  ]);
  await cp.processEventBatch([ev("a"), ev("b")]);
  const tx = ch.getTransaction();
  tx.begin();
  assert.equal((await tx.take())!.headers.timestamp, "5");
  await tx.rollback();
  tx.close();
});
