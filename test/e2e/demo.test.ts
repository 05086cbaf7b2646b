/**
 * `millrace demo` (npm start) as a newcomer runs it: trending hashtags appear on
 * stdout, /metrics has every part's series, Ctrl-C (SIGINT) exits 0 saying so,
 * and a second start resumes (no batch written twice, the app's committed
 * offsets never go back).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";
import { type Held, waitFor } from "../helpers/wait.js";

interface Demo {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

function startDemo(dir: string, uiPort: number, brokerPort: number): Demo {
  const child = spawn(
    process.execPath,
    [
      "bin/millrace.js",
      "demo",
      "--data-dir",
      dir,
      "--ui-port",
      String(uiPort),
      "--broker-port",
      String(brokerPort),
      "--rate",
      "200",
      "--batch",
      "1000",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, out: () => out, exit };
}

/** waitFor, failing at once if the demo exits, with its output in the error */
function until<T>(what: string, demo: Demo, fn: () => T | Promise<T>, ms = 60_000): Promise<Held<T>> {
  return waitFor(fn, what, {
    timeoutMs: ms,
    intervalMs: 100,
    failIf: () =>
      demo.child.exitCode !== null && `demo exited (${demo.child.exitCode}) while waiting for ${what}:\n${demo.out()}`,
    detail: () => demo.out().slice(-4000),
  });
}

/** a table row of the trending output: rank, #hashtag, count, sentiment */
const ROW = /^\s+\d+\s+#\S+\s+\d+\s+(?:[+-]\d+\.\d\d|n\/a)/m;

async function committed(url: string): Promise<Map<string, number>> {
  const snap = (await (await fetch(`${url}/api/snapshot`)).json()) as {
    groups: { group: string; partitions: { topic: string; partition: number; committed: number | null }[] }[];
  };
  const m = new Map<string, number>();
  for (const g of snap.groups)
    if (g.group === "trending-hashtags")
      for (const p of g.partitions) if (p.committed !== null) m.set(`${p.topic}-${p.partition}`, p.committed);
  return m;
}

function outputTimes(dir: string): number[] {
  const text = readFileSync(join(dir, "demo-output", "trending.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { time: number }).time);
}

async function stop(demo: Demo): Promise<void> {
  demo.child.kill("SIGINT");
  const code = await demo.exit;
  assert.equal(code, 0, `exit code after SIGINT\n${demo.out().slice(-3000)}`);
  assert.match(demo.out(), /SIGINT: stopping the pipeline/);
  assert.match(demo.out(), /stopped cleanly/);
}

test("millrace demo: trending hashtags, /metrics, clean Ctrl-C, and a resumed second start", {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir("millrace-demo-");
  const uiPort = await freePort();
  const brokerPort = await freePort();
  const url = `http://127.0.0.1:${uiPort}`;
  let demo: Demo | undefined;
  try {
    const t0 = Date.now();
    demo = startDemo(dir, uiPort, brokerPort);
    await until("the banner", demo, () => demo!.out().includes(url) && demo!.out().includes(`127.0.0.1:${brokerPort}`));
    await until("trending hashtags on stdout", demo, () => ROW.test(demo!.out()));
    t.diagnostic(`first trending table after ${Date.now() - t0} ms (spawn to output)`);
    assert.match(demo.out(), /Trending hashtags at/);

    const metrics = await until("streaming series in /metrics", demo, async () => {
      const body = await (await fetch(`${url}/metrics`)).text();
      return /^millrace_streaming_batches_completed_total\{app="trending-hashtags"\} [1-9]/m.test(body) && body;
    });
    assert.match(metrics, /^millrace_broker_\w+/m);
    assert.match(
      metrics,
      /^millrace_agent_source_event_accepted_count\{agent="TwitterAgent",component="Twitter"\} [1-9]/m,
    );
    assert.match(
      metrics,
      /^millrace_agent_channel_event_put_success_count\{agent="TwitterAgent",component="KafkaChannel"\}/m,
    );
    assert.match(metrics, /^millrace_streaming_end_to_end_latency_ms_count\{app="trending-hashtags"\} [1-9]/m);
    assert.match(metrics, /^millrace_process_cpu_seconds_total/m);

    const before = await until("committed offsets of the app's group", demo, async () => {
      const c = await committed(url);
      return c.size > 0 && [...c.values()].some((v) => v > 0) && c;
    });
    await stop(demo);
    const first = outputTimes(dir);
    assert.ok(first.length > 0, "the first run wrote its batches");

    // second start: resumes from the checkpoint
    demo = startDemo(dir, uiPort, brokerPort);
    const lastBefore = first[first.length - 1]!;
    await until("a new batch after the restart", demo, () => outputTimes(dir).some((x) => x > lastBefore));
    const after = await until("committed offsets after the restart", demo, async () => {
      const c = await committed(url);
      return c.size >= before.size && c;
    });
    for (const [tp, off] of before)
      assert.ok((after.get(tp) ?? -1) >= off, `${tp}: committed ${after.get(tp)} after the restart, ${off} before`);
    await stop(demo);
    demo = undefined;

    const times = outputTimes(dir);
    assert.equal(new Set(times).size, times.length, "no batch time written twice");
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      "batch times in order",
    );
    assert.deepEqual(times.slice(0, first.length), first, "the first run's lines are untouched");
  } finally {
    if (demo && demo.child.exitCode === null) {
      demo.child.kill("SIGKILL");
      await demo.exit;
    }
    removeDir(dir);
  }
});
