/**
 * Failover through the CLI: agent A sends to an Avro sink (priority 10) whose
 * target, agent B's Avro source, is down, with a file_roll sink (priority 5)
 * behind it. A's events go to file_roll while B is down; once B is up and the
 * Avro sink's penalty has passed, new events go to B. Nothing is lost.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { freePort } from "../../helpers/net.js";
import { monitoring, runAgent, stopAgent, waitFor } from "./run.js";

function bodies(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean));
}

test("failover: an Avro sink to a down agent fails over to file_roll, then to the target once it is up; none lost", {
  timeout: 180_000,
}, async () => {
  const dir = tempDir();
  const [httpPort, avroPort, mport] = [await freePort(), await freePort(), await freePort()];
  const confA = join(dir, "a.conf");
  writeFileSync(
    confA,
    [
      "a.sources = r1",
      "a.channels = c1",
      "a.sinks = toB local",
      "a.sinkgroups = g1",
      "a.sources.r1.type = http",
      "a.sources.r1.bind = 127.0.0.1",
      `a.sources.r1.port = ${httpPort}`,
      "a.sources.r1.channels = c1",
      "a.channels.c1.type = memory",
      "a.channels.c1.capacity = 10000",
      "a.channels.c1.transactionCapacity = 100",
      "a.sinks.toB.type = avro",
      "a.sinks.toB.channel = c1",
      "a.sinks.toB.hostname = 127.0.0.1",
      `a.sinks.toB.port = ${avroPort}`,
      "a.sinks.toB.batch-size = 10",
      "a.sinks.toB.connect-timeout = 2000",
      "a.sinks.local.type = file_roll",
      "a.sinks.local.channel = c1",
      `a.sinks.local.sink.directory = ${join(dir, "a-out")}`,
      "a.sinks.local.sink.rollInterval = 0",
      "a.sinks.local.sink.batchSize = 10",
      "a.sinkgroups.g1.sinks = toB local",
      "a.sinkgroups.g1.processor.type = failover",
      "a.sinkgroups.g1.processor.priority.toB = 10",
      "a.sinkgroups.g1.processor.priority.local = 5",
      "a.sinkgroups.g1.processor.maxpenalty = 1000",
    ].join("\n"),
  );
  const confB = join(dir, "b.conf");
  writeFileSync(
    confB,
    [
      "b.sources = in",
      "b.channels = c1",
      "b.sinks = out",
      "b.sources.in.type = avro",
      "b.sources.in.bind = 127.0.0.1",
      `b.sources.in.port = ${avroPort}`,
      "b.sources.in.channels = c1",
      "b.channels.c1.type = memory",
      "b.sinks.out.type = file_roll",
      "b.sinks.out.channel = c1",
      `b.sinks.out.sink.directory = ${join(dir, "b-out")}`,
      "b.sinks.out.sink.rollInterval = 0",
      "b.sinks.out.sink.batchSize = 10",
    ].join("\n"),
  );
  const a = runAgent([
    "-n",
    "a",
    "-f",
    confA,
    "--no-reload-conf",
    "-Dflume.monitoring.type=http",
    `-Dflume.monitoring.port=${mport}`,
  ]);
  let b: ReturnType<typeof runAgent> | undefined;
  const post = async (from: number, n: number) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/`, {
      method: "POST",
      body: JSON.stringify(Array.from({ length: n }, (_, i) => ({ headers: {}, body: `e${from + i}` }))),
    });
    assert.equal(res.status, 200);
  };
  try {
    await waitFor(() => monitoring(mport), "agent a");
    // B is down: the Avro sink fails, file_roll takes the events
    for (let i = 0; i < 50; i += 10) await post(i, 10);
    await waitFor(() => bodies(join(dir, "a-out")).length === 50, "50 events in a's file_roll");
    const m = (await monitoring(mport))!;
    assert.ok(Number(m["SINK.toB"].ConnectionFailedCount) > 0, "the Avro sink counted its failed connections");

    // B comes up; after the penalty the Avro sink is tried again and takes new events
    b = runAgent(["-n", "b", "-f", confB, "--no-reload-conf"]);
    await waitFor(() => b!.out().includes("millrace agent started"), "agent b");
    let sent = 50;
    await waitFor(async () => {
      await post(sent, 10);
      sent += 10;
      return bodies(join(dir, "b-out")).length > 0;
    }, "events reaching agent b");
    const inB = bodies(join(dir, "b-out"));
    const inA = bodies(join(dir, "a-out"));
    await waitFor(
      () => bodies(join(dir, "a-out")).length + bodies(join(dir, "b-out")).length >= sent,
      "every event delivered",
    );
    const all = [...bodies(join(dir, "a-out")), ...bodies(join(dir, "b-out"))];
    const expected = Array.from({ length: sent }, (_, i) => `e${i}`);
    assert.deepEqual([...new Set(all)].sort(), [...expected].sort(), "no event lost");
    assert.ok(inB.length > 0 && inA.length >= 50);
    // once B is live, later events go to B (the higher priority)
    await post(sent, 10);
    await waitFor(() => bodies(join(dir, "b-out")).includes(`e${sent + 9}`), "the last batch in b");
  } finally {
    await stopAgent(a);
    if (b) await stopAgent(b);
    removeDir(dir);
  }
});
