import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createExecSource } from "../../../src/agent/sources/exec.js";
import { ListChannelProcessor, waitFor } from "../helpers/channel.js";

const env = { agentName: "a1", logger: pino({ level: "silent" }) };

test("exec: one event per stdout line, batched, through a shell", async () => {
  const src = createExecSource(
    "r1",
    Context.of({
      command: "for i in $(seq 1 45); do echo line$i; done; printf tail",
      shell: "/bin/sh -c",
      batchSize: "10",
      batchTimeout: "50",
    }),
    env,
  );
  const cp = new ListChannelProcessor();
  src.setChannelProcessor(cp);
  src.start();
  await waitFor(() => cp.events.length === 46, "46 events");
  await src.stop();
  assert.deepEqual(cp.bodies(), [...Array.from({ length: 45 }, (_, i) => `line${i + 1}`), "tail"]);
  assert.ok(cp.batches >= 5);
  assert.equal(src.counter.get("EventAcceptedCount"), 46);
});

test("exec: a refusing channel is retried, nothing lost; restart respawns the command", async () => {
  const src = createExecSource(
    "r1",
    Context.of({ command: "seq 1 30", batchSize: "5", batchTimeout: "20", restart: "true", restartThrottle: "50" }),
    env,
  );
  const cp = new ListChannelProcessor();
  cp.fullFor = 3;
  cp.failFor = 1;
  src.setChannelProcessor(cp);
  src.start();
  await waitFor(() => cp.events.length >= 60, "two runs of output");
  await src.stop();
  const first = cp.bodies().slice(0, 30);
  assert.deepEqual(
    first,
    Array.from({ length: 30 }, (_, i) => String(i + 1)),
  );
  assert.ok(src.runs >= 2);
  assert.ok(src.counter.get("ChannelWriteFail") >= 4);
});

test("exec: command is required", () => {
  assert.throws(
    () => createExecSource("r1", Context.of({}, "a1.sources.r1"), env),
    /a1\.sources\.r1\.command is required/,
  );
});
