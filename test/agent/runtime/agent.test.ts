import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import type { ComponentEnv, Context, Event } from "../../../src/agent/api.js";
import { sinks as sinkRegistry } from "../../../src/agent/registry.js";
import { BatchSink } from "../../../src/agent/sinks/base.js";
import { Agent } from "../../../src/agent/runtime/agent.js";
import { parseProperties } from "../../../src/formats/properties.js";
import { monitoringSnapshot } from "../../../src/agent/counters.js";
import { tempDir, removeDir } from "../../helpers/broker.js";
import { waitFor } from "../../helpers/wait.js";

/** Test downstreams: a sink of type test_target delivers to targets[<target>], which can be down. */
const targets = new Map<string, { down: boolean; got: string[] }>();
class TargetSink extends BatchSink {
  constructor(
    name: string,
    agent: string,
    batch: number,
    readonly target: string,
  ) {
    super(name, agent, batch);
  }
  static fromContext(name: string, ctx: Context, env: ComponentEnv): TargetSink {
    return new TargetSink(name, env.agentName, ctx.getInteger("batchSize", 10), ctx.requireString("target"));
  }
  protected deliver(events: Event[]): void {
    const t = targets.get(this.target)!;
    if (t.down) throw new Error(`target ${this.target} is down`);
    for (const e of events) t.got.push(e.body.toString());
  }
}
sinkRegistry.push({ alias: "test_target", classNames: ["org.example.TargetSink"], factory: TargetSink.fromContext });

const silent = pino({ level: "silent" });

test(
  "failover group: the primary's target goes down, " + "the backup takes over, nothing is lost or duplicated",
  async () => {
    targets.set("primary", { down: false, got: [] });
    targets.set("backup", { down: false, got: [] });
    const props = parseProperties(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2
a1.sinkgroups = g1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 2000
a1.sources.r1.batchSize = 50
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 500
a1.sinks.k1.type = test_target
a1.sinks.k1.target = primary
a1.sinks.k1.channel = c1
a1.sinks.k1.runner.backoffSleepIncrement = 10
a1.sinks.k1.runner.maxBackoffSleep = 20
a1.sinks.k2.type = test_target
a1.sinks.k2.target = backup
a1.sinks.k2.channel = c1
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 10
a1.sinkgroups.g1.processor.priority.k2 = 5
a1.sinkgroups.g1.processor.maxpenalty = 60000
`,
      "failover.conf",
    );
    const agent = await Agent.start({ name: "a1", properties: props, logger: silent });
    try {
      await waitFor(() => targets.get("primary")!.got.length >= 100, "the primary to deliver");
      targets.get("primary")!.down = true;
      const total = () => targets.get("primary")!.got.length + targets.get("backup")!.got.length;
      await waitFor(() => total() >= 2000, "all 2000 events delivered");
      assert.ok(targets.get("backup")!.got.length > 0, "the backup took over");
      const all = [...targets.get("primary")!.got, ...targets.get("backup")!.got].map(Number).sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: 2000 }, (_, i) => i),
        "every event exactly once",
      );
      const snap = monitoringSnapshot("a1");
      assert.equal(snap["SOURCE.r1"].EventAcceptedCount, "2000");
      assert.equal(snap["CHANNEL.c1"].EventPutSuccessCount, "2000");
      assert.equal(snap["CHANNEL.c1"].EventTakeSuccessCount, "2000");
      assert.equal(snap["CHANNEL.c1"].ChannelSize, "0");
      assert.ok(Number(snap["SINK.k1"].EventWriteFail) >= 1);
    } finally {
      await agent.stop();
    }
    assert.deepEqual(monitoringSnapshot("a1"), {}, "stopped components leave the monitoring document");
  },
);

test(
  "reload: a changed sink restarts alone; " + "the channel and source keep running; a bad file keeps the running agent",
  async () => {
    const dir = tempDir();
    const file = join(dir, "agent.conf");
    targets.set("t1", { down: false, got: [] });
    targets.set("t2", { down: false, got: [] });
    const conf = (target: string, extra = "") => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = 10
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.sinks.k1.type = test_target
a1.sinks.k1.target = ${target}
a1.sinks.k1.channel = c1
a1.sinks.k1.runner.backoffSleepIncrement = 10
${extra}
`;
    writeFileSync(file, conf("t1"));
    const agent = await Agent.start({ name: "a1", confFile: file, logger: silent, reloadIntervalMs: 50 });
    try {
      const c1 = agent.channel("c1");
      const r1 = agent.source("r1");
      const k1 = agent.sink("k1");
      await waitFor(() => targets.get("t1")!.got.length > 50, "t1 receives events");
      writeFileSync(file, conf("t2"));
      await waitFor(() => agent.generation === 2, "the reload");
      assert.equal(agent.channel("c1"), c1, "the channel is kept");
      assert.equal(agent.source("r1"), r1, "the source is kept");
      assert.notEqual(agent.sink("k1"), k1, "the sink is new");
      await waitFor(() => targets.get("t2")!.got.length > 50, "t2 receives events");
      // the sequence continues: nothing lost or repeated across the switch
      const seen = [...targets.get("t1")!.got, ...targets.get("t2")!.got].map(Number);
      assert.deepEqual(
        seen.slice(0, 100),
        Array.from({ length: 100 }, (_, i) => i),
      );
      writeFileSync(file, conf("t2", "a1.channels.c1.capacity = many"));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(agent.generation, 2, "a bad file is not applied");
      const before = targets.get("t2")!.got.length;
      await waitFor(() => targets.get("t2")!.got.length > before + 20, "the old configuration keeps running");
    } finally {
      await agent.stop();
      removeDir(dir);
    }
  },
);
