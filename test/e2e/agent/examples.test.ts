/** `millrace agent` as users run it, with the configurations in examples/. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, removeDir } from "../../helpers/broker.js";
import { freePort } from "../../helpers/net.js";
import { monitoring, runAgent, stopAgent, waitFor } from "./run.js";

/** an example file with its port(s) replaced, in a temp dir */
function example(name: string, dir: string, port?: number): string {
  let text = readFileSync(join("examples", name), "utf8");
  if (port !== undefined) text = text.replace(/\.port = 5140/g, `.port = ${port}`);
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

test("examples/flume-logger.conf: seq -> memory -> logger logs every event; SIGTERM exits 0", async () => {
  const r = runAgent([
    "--name",
    "TwitterAgent",
    "--conf",
    "examples",
    "--conf-file",
    "examples/flume-logger.conf",
    "--no-reload-conf",
  ]);
  await waitFor(() => r.out().includes("Event: { headers:{} body: 39 39 39"), "event 999 in the log");
  const events = r
    .out()
    .split("\n")
    .filter((l) => l.includes('"msg":"Event: {'));
  assert.equal(events.length, 1000);
  assert.match(events[0], /"msg":"Event: \{ headers:\{\} body: 30 +0 \}"/);
  await stopAgent(r);
  assert.match(r.out(), /shutting down the agent/);
});

test("examples/http-logger.conf: http -> memory -> logger; 400 for malformed bodies; monitoring JSON", async () => {
  const dir = tempDir();
  const [port, mport] = [await freePort(), await freePort()];
  const r = runAgent([
    "-n",
    "a1",
    "-f",
    example("http-logger.conf", dir, port),
    `-Dflume.monitoring.type=http`,
    `-Dflume.monitoring.port=${mport}`,
  ]);
  try {
    await waitFor(() => monitoring(mport), "monitoring");
    const url = `http://127.0.0.1:${port}/`;
    const ok = await fetch(url, {
      method: "POST",
      body: JSON.stringify([
        { headers: { h: "v" }, body: "Hello" },
        { headers: {}, body: "World" },
      ]),
    });
    assert.equal(ok.status, 200);
    for (const bad of ["{", '[{"body": []}]', '"x"'])
      assert.equal((await fetch(url, { method: "POST", body: bad })).status, 400);
    await waitFor(() => r.out().includes("World }"), "both events logged");
    assert.match(r.out(), /Event: \{ headers:\{h=v, timestamp=\d+\} body: 48 65 6C 6C 6F +Hello \}/);
    const m = await waitFor(async () => {
      const s = await monitoring(mport);
      return s && s["SINK.k1"]?.EventDrainSuccessCount === "2" ? s : undefined;
    }, "drain counters");
    assert.equal(m["SOURCE.r1"].Type, "SOURCE");
    assert.equal(m["SOURCE.r1"].EventReceivedCount, "2");
    assert.equal(m["SOURCE.r1"].EventAcceptedCount, "2");
    assert.equal(m["SOURCE.r1"].EventReadFail, "3");
    assert.equal(m["CHANNEL.c1"].EventPutSuccessCount, "2");
    assert.equal(m["CHANNEL.c1"].ChannelSize, "0");
    assert.equal(m["CHANNEL.c1"].ChannelCapacity, "1000");
    assert.equal(m["SINK.k1"].Type, "SINK");
    assert.equal((await fetch(`http://127.0.0.1:${mport}/other`)).status, 404);
  } finally {
    await stopAgent(r);
    removeDir(dir);
  }
});

test("examples/seq-null.conf: 100000 events drain through memory to null; the counters agree", async () => {
  const mport = await freePort();
  const r = runAgent([
    "-n",
    "a1",
    "-f",
    "examples/seq-null.conf",
    "-Dflume.monitoring.type=http",
    `-Dflume.monitoring.port=${mport}`,
  ]);
  try {
    const m = await waitFor(async () => {
      const s = await monitoring(mport);
      return s && s["SINK.k1"]?.EventDrainSuccessCount === "100000" ? s : undefined;
    }, "100000 drained");
    assert.equal(m["SOURCE.r1"].EventAcceptedCount, "100000");
    assert.equal(m["CHANNEL.c1"].EventPutSuccessCount, "100000");
    assert.equal(m["CHANNEL.c1"].EventTakeSuccessCount, "100000");
    assert.equal(m["CHANNEL.c1"].ChannelSize, "0");
    assert.equal(m["CHANNEL.c1"].ChannelFillPercentage, "0");
  } finally {
    await stopAgent(r);
  }
});

test("a full memory channel answers 503 and stays at its capacity", async () => {
  const dir = tempDir();
  const [port, mport] = [await freePort(), await freePort()];
  const r = runAgent([
    "-n",
    "a1",
    "-f",
    example("http-full-channel.conf", dir, port),
    "-Dflume.monitoring.type=http",
    `-Dflume.monitoring.port=${mport}`,
  ]);
  try {
    await waitFor(() => monitoring(mport), "monitoring");
    const url = `http://127.0.0.1:${port}/`;
    const batch = JSON.stringify(
      Array.from({ length: 10 }, (_, i) => ({ headers: {}, body: `event ${i} ${"x".repeat(500)}` })),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await fetch(url, { method: "POST", body: batch })).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200));
    assert.deepEqual(statuses.slice(10), Array(20).fill(503));
    // many more concurrent posts: all refused, nothing grows
    const more = await Promise.all(
      Array.from({ length: 200 }, () => fetch(url, { method: "POST", body: batch }).then((x) => x.status)),
    );
    assert.ok(more.every((s) => s === 503));
    const m = (await monitoring(mport))!;
    assert.equal(m["CHANNEL.c1"].ChannelSize, "100");
    assert.equal(m["CHANNEL.c1"].ChannelFillPercentage, "100");
    assert.equal(m["CHANNEL.c1"].EventPutSuccessCount, "100");
    assert.equal(m["SOURCE.r1"].ChannelWriteFail, "220");
  } finally {
    await stopAgent(r);
    removeDir(dir);
  }
});

test("bad configurations exit non-zero naming file:line:key; unsupported keys are warned once", async () => {
  const dir = tempDir();
  try {
    const bad = join(dir, "bad.conf");
    writeFileSync(bad, `${readFileSync("examples/seq-null.conf", "utf8")}a1.sources.r1.batchSize = 5000\n`);
    let r = runAgent(["-n", "a1", "-f", bad]);
    assert.notEqual(await r.exit, 0);
    assert.match(
      r.err(),
      new RegExp(
        `${bad.replace(/[.]/g, "\\.")}:21: a1\\.sources\\.r1\\.batchSize \\(5000\\) of source r1 is greater than ` +
          "the transactionCapacity \\(1000\\) of channel c1",
      ),
    );
    writeFileSync(
      bad,
      readFileSync("examples/seq-null.conf", "utf8").replace(
        "a1.sinks.k1.type = null",
        "a1.sinks.k1.type = org.apache.flume.sink.Nope",
      ),
    );
    r = runAgent(["-n", "a1", "-f", bad]);
    assert.notEqual(await r.exit, 0);
    assert.match(
      r.err(),
      /bad\.conf:18: a1\.sinks\.k1\.type names an unknown sink type "org\.apache\.flume\.sink\.Nope"/,
    );
    r = runAgent(["-n", "zz", "-f", bad]);
    assert.notEqual(await r.exit, 0);
    assert.match(r.err(), /no properties for agent "zz"/);
    const warn = join(dir, "warn.conf");
    writeFileSync(warn, `${readFileSync("examples/seq-null.conf", "utf8")}a1.channels.c1.fancy = yes\n`);
    r = runAgent(["-n", "a1", "-f", warn, "--reload-interval", "0.1"]);
    await waitFor(() => r.out().includes("agent components started"), "start");
    writeFileSync(warn, `${readFileSync(warn, "utf8")}a1.sinks.k1.batchSize = 500\n`);
    await waitFor(() => (r.out().match(/agent components started/g) ?? []).length === 2, "reload");
    assert.equal(
      (r.out().match(/warn\.conf:21: a1\.channels\.c1\.fancy is not supported/g) ?? []).length,
      1,
      "warned once across reloads",
    );
    await stopAgent(r);
  } finally {
    removeDir(dir);
  }
});
