/**
 * millrace's Avro RPC against real Apache Flume 1.11 (its jars on the class
 * path, run with `java FlumeAvroPeer.java`):
 *  - Flume's NettyAvroRpcClient (what Flume's avro sink and flume-ng avro-client
 *    use) sends appendBatch and append calls to millrace's avro source;
 *  - millrace's avro sink sends batches to Flume's AvroSource.
 * Flume's lib/ is found at $MILLRACE_FLUME_LIB or .interop-cache/flume-1.11.0/lib.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { Context, event } from "../../src/agent/api.js";
import { createAvroSource } from "../../src/agent/sources/avro.js";
import { createAvroSink } from "../../src/agent/sinks/avro.js";
import { freePort } from "../helpers/net.js";
import { CollectingProcessor, TestChannel, env, waitFor } from "../agent/io-helpers.js";
import { INTEROP_DIR, REPO_ROOT, assertPresent, missingCommand, needs, run } from "./helpers.js";
import { fetchJvmTool, missingJvmTool } from "./jvm-tools.js";

// A clean clone has no cached Flume: fetch it with Maven (a no-op once cached).
if (!process.env.MILLRACE_FLUME_LIB && missingJvmTool("flume") === null) await fetchJvmTool("flume");
const FLUME_LIB = process.env.MILLRACE_FLUME_LIB ?? join(REPO_ROOT, ".interop-cache", "flume-1.11.0", "lib");
const PEER = join(INTEROP_DIR, "tooling", "FlumeAvroPeer.java");
const missing =
  missingCommand("java", ["-version"], "openjdk-17-jdk-headless") ??
  (existsSync(join(FLUME_LIB, "flume-ng-sdk-1.11.0.jar"))
    ? null
    : `Apache Flume 1.11.0's lib/ is not at ${FLUME_LIB}: unpack apache-flume-1.11.0-bin there or ` +
      "set MILLRACE_FLUME_LIB");
const classpath = `${FLUME_LIB}/*`;

test(
  "Flume's NettyAvroRpcClient -> millrace avro source: appendBatch and append",
  needs(missing, 180_000),
  async () => {
    assertPresent(missing);
    const src = createAvroSource("r1", Context.of({ bind: "127.0.0.1", port: "0" }), env());
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    await src.start();
    try {
      const n = 301;
      const r = await run(
        "java",
        ["-cp", classpath, PEER, "client", "127.0.0.1", String(src.boundPort), String(n), "100"],
        { timeoutMs: 150_000 },
      );
      assert.equal(r.code, 0, `java client failed:\n${r.stderr}\n${r.stdout}`);
      assert.match(r.stdout, new RegExp(`SENT ${n}`));
      assert.equal(cp.events.length, n);
      assert.deepEqual(
        cp.events.map((e) => e.body.toString()),
        Array.from({ length: n }, (_, i) => `e${i}`),
      );
      assert.deepEqual(
        cp.events.map((e) => e.headers.i),
        Array.from({ length: n }, (_, i) => String(i)),
      );
      assert.equal(src.counter.get("AppendAcceptedCount"), 1);
      assert.equal(src.counter.get("AppendBatchAcceptedCount"), 3, "the client splits 300 events into batches of 100");
    } finally {
      await src.stop();
    }
  },
);

test("millrace avro sink -> Flume's AvroSource", needs(missing, 180_000), async () => {
  assertPresent(missing);
  const port = await freePort();
  const child: ChildProcess = spawn("java", ["-cp", classpath, PEER, "server", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  try {
    await waitFor(() => out.includes("LISTENING") || child.exitCode !== null, "Flume's AvroSource to listen", 120_000);
    assert.ok(out.includes("LISTENING"), `Flume's AvroSource did not start:\n${err}`);
    const ch = new TestChannel();
    const sink = createAvroSink(
      "k1",
      Context.of({ hostname: "127.0.0.1", port: String(port), "batch-size": "50" }),
      env(),
    );
    sink.setChannel(ch);
    sink.start();
    try {
      await ch.putAll(Array.from({ length: 120 }, (_, i) => event(`m${i}`, { i: String(i) })));
      for (let k = 0; k < 3; k++) assert.equal(await sink.process(), "READY");
      assert.equal(await sink.process(), "BACKOFF");
    } finally {
      sink.stop();
    }
    await waitFor(
      () => out.split("\n").filter((l) => l.startsWith("EVENT ")).length >= 120,
      "120 events printed by Flume",
      60_000,
    );
    const got = out
      .split("\n")
      .filter((l) => l.startsWith("EVENT "))
      .map((l) => l.split(" "));
    assert.deepEqual(
      got.map((f) => f[1]),
      Array.from({ length: 120 }, (_, i) => String(i)),
    );
    assert.deepEqual(
      got.map((f) => Buffer.from(f[2], "base64").toString()),
      Array.from({ length: 120 }, (_, i) => `m${i}`),
    );
  } finally {
    child.kill("SIGKILL");
  }
});
