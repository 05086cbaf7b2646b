/**
 * millrace's Kafka channel and Flume 1.11's KafkaChannel share topics through
 * a millrace broker: events millrace puts (parseAsFlumeEvent=true) are taken
 * by Flume's channel with their headers, and events Flume's channel puts are
 * taken by millrace's. Flume's lib/ at $MILLRACE_FLUME_LIB or
 * .interop-cache/flume-1.11.0/lib.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Context, event, type Event } from "../../src/agent/api.js";
import { createKafkaChannel } from "../../src/agent/channels/kafka.js";
import { startBroker, removeDir } from "../helpers/broker.js";
import { env } from "../agent/io-helpers.js";
import { INTEROP_DIR, REPO_ROOT, assertPresent, missingCommand, needs, run } from "./helpers.js";
import { fetchJvmTool, missingJvmTool } from "./jvm-tools.js";

// A clean clone has no cached Flume: fetch it with Maven (a no-op once cached).
if (!process.env.MILLRACE_FLUME_LIB && missingJvmTool("flume") === null) await fetchJvmTool("flume");
const FLUME_LIB = process.env.MILLRACE_FLUME_LIB ?? join(REPO_ROOT, ".interop-cache", "flume-1.11.0", "lib");
const PEER = join(INTEROP_DIR, "tooling", "FlumeKafkaChannelPeer.java");
const missing =
  missingCommand("java", ["-version"], "openjdk-17-jdk-headless") ??
  (existsSync(join(FLUME_LIB, "flume-kafka-channel-1.11.0.jar"))
    ? null
    : `Apache Flume 1.11.0's lib/ is not at ${FLUME_LIB}: unpack apache-flume-1.11.0-bin there or ` +
      "set MILLRACE_FLUME_LIB");

test("millrace kafka channel <-> Flume's KafkaChannel over a millrace broker", needs(missing, 300_000), async () => {
  assertPresent(missing);
  const tb = await startBroker();
  try {
    // millrace puts, Flume takes
    const ours = createKafkaChannel(
      "c1",
      Context.of({ "kafka.bootstrap.servers": tb.bootstrap, "kafka.topic": "twitter" }),
      env(),
    );
    await ours.start();
    try {
      const tx = ours.getTransaction();
      tx.begin();
      for (let i = 0; i < 40; i++) await tx.put(event(`m${i}`, { i: String(i) }));
      await tx.commit();
      tx.close();
    } finally {
      await ours.stop();
    }
    const took = await run("java", ["-cp", `${FLUME_LIB}/*`, PEER, "take", tb.bootstrap, "twitter", "40"], {
      timeoutMs: 150_000,
    });
    assert.match(took.stdout, /TOOK 40/, took.stderr.slice(-3000));
    const rows = took.stdout
      .split("\n")
      .filter((l) => l.startsWith("EVENT "))
      .map((l) => l.split(" "));
    assert.deepEqual(
      rows.map((r) => `${r[1]}:${Buffer.from(r[2], "base64").toString()}`),
      Array.from({ length: 40 }, (_, i) => `${i}:m${i}`),
    );

    // Flume puts, millrace takes
    const put = await run("java", ["-cp", `${FLUME_LIB}/*`, PEER, "put", tb.bootstrap, "from-flume", "30"], {
      timeoutMs: 150_000,
    });
    assert.match(put.stdout, /PUT 30/, put.stderr.slice(-3000));
    const back = createKafkaChannel(
      "c2",
      Context.of({
        "kafka.bootstrap.servers": tb.bootstrap,
        "kafka.topic": "from-flume",
        "kafka.consumer.auto.offset.reset": "earliest",
      }),
      env(),
    );
    await back.start();
    try {
      const tx = back.getTransaction();
      tx.begin();
      const got: Event[] = [];
      const deadline = Date.now() + 30_000;
      while (got.length < 30 && Date.now() < deadline) {
        const e = await tx.take();
        if (e) got.push(e);
      }
      await tx.commit();
      tx.close();
      assert.deepEqual(
        got.map((e) => `${e.headers.i}:${e.body.toString()}`).sort(),
        Array.from({ length: 30 }, (_, i) => `${i}:f${i}`).sort(),
      );
    } finally {
      await back.stop();
    }
  } finally {
    await tb.stop();
    removeDir(tb.dir);
  }
});
