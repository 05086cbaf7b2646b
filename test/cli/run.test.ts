/**
 * `millrace run pipeline.yaml`: a pipeline file composes an embedded broker, an
 * agent from its Flume config and a streaming app loaded in-process; bad files
 * and busy ports fail with one line that says what to change.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { removeDir, tempDir } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";
import { type Held, waitFor } from "../helpers/wait.js";

const APP = resolve("examples/demo/trending-sentiment.ts");

function agentConf(dir: string, brokerPort: number): string {
  const file = join(dir, "agent.conf");
  writeFileSync(
    file,
    [
      "a1.sources = gen",
      "a1.channels = k",
      "a1.sinks =",
      "a1.sources.gen.type = tweets",
      "a1.sources.gen.channels = k",
      "a1.sources.gen.eventsPerSecond = 300",
      "a1.channels.k.type = org.apache.flume.channel.kafka.KafkaChannel",
      // the article's way of naming the broker: routed in-process to the embedded one
      `a1.channels.k.kafka.bootstrap.servers = localhost:${brokerPort}`,
      "a1.channels.k.kafka.topic = tweets-in",
      "",
    ].join("\n"),
  );
  return file;
}

function pipelineFile(dir: string, o: { brokerPort: number; uiPort: number; conf: string }): string {
  const file = join(dir, "pipeline.yaml");
  writeFileSync(
    file,
    `# a whole pipeline
broker:
  data.dir: ./data
  listeners: PLAINTEXT://127.0.0.1:${o.brokerPort}
  topics:
    - { name: tweets-in, partitions: 3 }
agents:
  - name: a1
    conf-file: ${o.conf}
apps:
  - module: ${APP}
    master: local[2]
    args: [--bootstrap, "127.0.0.1:${o.brokerPort}", --topic, tweets-in, --batch, 1000,
      --output, ${join(dir, "out.jsonl")}, --checkpoint, ${join(dir, "ckpt")}, --quiet]
ui:
  port: ${o.uiPort}
`,
  );
  return file;
}

function run(file: string): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["bin/millrace.js", "run", file], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return { child, out: () => out, exit: new Promise((r) => child.on("exit", (c) => r(c))) };
}

/** waitFor, failing at once if `millrace run` exits, with its output in the error */
function until<T>(
  what: string,
  r: { child: ChildProcess; out: () => string },
  fn: () => T | Promise<T>,
): Promise<Held<T>> {
  return waitFor(fn, what, {
    intervalMs: 100,
    failIf: () =>
      r.child.exitCode !== null && `millrace run exited (${r.child.exitCode}) while waiting for ${what}:\n${r.out()}`,
    detail: () => r.out().slice(-4000),
  });
}

test("a pipeline file runs an embedded broker, an agent and an in-process streaming app; SIGTERM exits 0", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir("millrace-run-");
  const brokerPort = await freePort();
  const uiPort = await freePort();
  const file = pipelineFile(dir, { brokerPort, uiPort, conf: agentConf(dir, brokerPort) });
  const r = run(file);
  try {
    await until("the banner", r, () => r.out().includes(`http://127.0.0.1:${uiPort}`));
    assert.match(r.out(), /agent\s+a1/);
    assert.match(r.out(), /streaming\s+trending-hashtags/);
    assert.match(
      r.out(),
      new RegExp(
        [
          String.raw`broker\s+embedded, data in .*\n\s+`,
          String.raw`the default for Kafka channels, sources and sinks that name no kafka\.bootstrap\.servers\n`,
        ].join(""),
      ),
    );
    const t0 = Date.now();
    await until(
      "hashtags in the app's output file",
      r,
      () => existsSync(join(dir, "out.jsonl")) && /"hashtag":"#/.test(readFileSync(join(dir, "out.jsonl"), "utf8")),
    );
    t.diagnostic(`first hashtags after ${Date.now() - t0} ms`);
    type Snap = {
      topics: { name: string; partitions: unknown[]; messages: number }[];
      agents: Record<string, Record<string, Record<string, string>>>;
      streaming: { app: string; batches: { status: string }[] }[];
      output: { lines: string[] } | null;
    };
    // the output is written while its batch runs: wait for the batch to complete
    const snap = await until("a completed batch in the dashboard", r, async () => {
      const s = (await (await fetch(`http://127.0.0.1:${uiPort}/api/snapshot`)).json()) as Snap;
      return (
        s.streaming.some((x) => x.app === "trending-hashtags" && x.batches.some((b) => b.status === "completed")) && s
      );
    });
    const topic = snap.topics.find((x) => x.name === "tweets-in");
    assert.ok(
      topic && topic.partitions.length === 3 && topic.messages > 0,
      "the agent wrote the pipeline's topic (3 partitions, as the file says)",
    );
    assert.ok(Number(snap.agents.a1?.["CHANNEL.k"]?.EventPutSuccessCount) > 0, "agent counters");
    assert.ok(
      snap.output?.lines.some((l) => /#\w/.test(l)),
      "the app's output reaches the dashboard",
    );
    // the data went in-process: the broker's data dir is the file's ./data
    assert.ok(existsSync(join(dir, "data", "tweets-in-0")));
    r.child.kill("SIGTERM");
    assert.equal(await r.exit, 0, r.out());
    assert.match(r.out(), /stopped cleanly/);
  } finally {
    if (r.child.exitCode === null) r.child.kill("SIGKILL");
    removeDir(dir);
  }
});

test("a malformed pipeline file fails with file:line: key", () => {
  const dir = tempDir("millrace-run-");
  try {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "broker:\n  data.dir: ./d\nagents:\n  - name: a1\n    conf-file: x.conf\n    conf-fil: y.conf\n",
    );
    const r = spawnSync(process.execPath, ["bin/millrace.js", "run", file], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:6: agents\\[0\\]\\.conf-fil: `));

    writeFileSync(file, "ui:\n  port: high\n");
    const r2 = spawnSync(process.execPath, ["bin/millrace.js", "run", file], { encoding: "utf8" });
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /bad\.yaml:2: ui\.port: /);
    assert.equal(r2.stderr.trim().split("\n").length, 1);
  } finally {
    removeDir(dir);
  }
});

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

test("a port in use (dashboard or broker) is one line naming the port and the setting", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir("millrace-run-");
  const busy = await occupy();
  try {
    const conf = agentConf(dir, 9);
    // dashboard port taken
    let file = pipelineFile(dir, { brokerPort: await freePort(), uiPort: busy.port, conf });
    let r = spawnSync(process.execPath, ["bin/millrace.js", "run", file], { encoding: "utf8", timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`port ${busy.port}\\b.*ui\\.port in ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
    // broker port taken
    file = pipelineFile(dir, { brokerPort: busy.port, uiPort: await freePort(), conf });
    r = spawnSync(process.execPath, ["bin/millrace.js", "run", file], { encoding: "utf8", timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`port ${busy.port}\\b.*broker\\.listeners in `));
    // and the demo's flags
    r = spawnSync(
      process.execPath,
      [
        "bin/millrace.js",
        "demo",
        "--data-dir",
        join(dir, "demo"),
        "--ui-port",
        String(await freePort()),
        "--broker-port",
        String(busy.port),
      ],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`port ${busy.port}\\b.*--broker-port`));
    r = spawnSync(
      process.execPath,
      [
        "bin/millrace.js",
        "demo",
        "--data-dir",
        join(dir, "demo"),
        "--ui-port",
        String(busy.port),
        "--broker-port",
        "0",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`port ${busy.port}\\b.*--ui-port`));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  } finally {
    busy.server.close();
    removeDir(dir);
  }
});
