/**
 * Crash safety: a producer with acks=all writes continuously while the broker
 * process is killed with SIGKILL and restarted, many times. Afterwards every
 * acknowledged record is readable at the offset it was acknowledged with, and
 * offsets are dense.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { KafkaClient } from "../../src/client/client.js";
import { encodeBatch, decodeRecordSet } from "../../src/protocol/records/records.js";
import { tempDir, removeDir } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";

const KILLS = Number(process.env.MILLRACE_CRASH_KILLS ?? 20);

function startBrokerProcess(dir: string, port: number): ChildProcess {
  return spawn(
    process.execPath,
    [
      "bin/millrace.js",
      "broker",
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      "--override",
      `log.dirs=${dir}`,
      "--override",
      "log.segment.bytes=65536",
    ],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" } },
  );
}

async function connectWithRetry(bootstrap: string, deadlineMs = 30_000): Promise<KafkaClient> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await KafkaClient.connect(bootstrap);
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test(`acks=all records survive ${KILLS} SIGKILLs at their acknowledged offsets`, { timeout: 300_000 }, async () => {
  const dir = tempDir("millrace-crash-");
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const acked = new Map<bigint, string>();
  let seq = 0;
  let child = startBrokerProcess(dir, port);
  try {
    const admin = await connectWithRetry(bootstrap);
    await admin.createTopic("crash", 2);
    await admin.close();

    for (let round = 0; round <= KILLS; round++) {
      const client = await connectWithRetry(bootstrap);
      let running = true;
      const writer = async (partition: number) => {
        while (running) {
          const values = Array.from({ length: 1 + (seq % 7) }, () => `p${partition}-r${seq++}`);
          try {
            const base = await client.produce(
              "crash",
              partition,
              encodeBatch({ records: values.map((v) => ({ value: v })) }),
              -1,
            );
            for (const [i, v] of values.entries()) acked.set((BigInt(partition) << 48n) | (base + BigInt(i)), v);
          } catch {
            return; // the broker died: this batch was never acknowledged
          }
        }
      };
      const writers = [0, 1, 0, 1].map((p) => writer(p));
      // Let the writers run, then kill the broker mid-stream.
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 250)));
      if (round < KILLS) {
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
      }
      running = false;
      await Promise.all(writers);
      await client.close();
      if (round < KILLS) child = startBrokerProcess(dir, port);
    }

    const reader = await connectWithRetry(bootstrap);
    let total = 0;
    for (const partition of [0, 1]) {
      const end = await reader.listOffset("crash", partition, -1n);
      let next = 0n;
      const found = new Map<bigint, string>();
      while (next < end) {
        const f = await reader.fetch("crash", partition, next, { maxBytes: 1 << 20 });
        assert.ok(f.records, `no records at ${next} below the end ${end}`);
        for (const b of decodeRecordSet(f.records)) {
          if (b.header.baseOffset + BigInt(b.header.lastOffsetDelta) < next) continue;
          assert.equal(b.header.baseOffset, next, `offsets are not dense in partition ${partition}`);
          for (const r of b.records) found.set(r.offset, r.value!.toString());
          next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
        }
      }
      for (const [key, value] of acked) {
        if (key >> 48n !== BigInt(partition)) continue;
        const offset = key & ((1n << 48n) - 1n);
        assert.equal(found.get(offset), value, `acknowledged record lost or moved at ${partition}/${offset}`);
        total++;
      }
    }
    await reader.close();
    assert.ok(total > KILLS * 10, `only ${total} records were acknowledged`);
    console.log(`# ${total} acknowledged records checked after ${KILLS} SIGKILLs`);
  } finally {
    child.kill("SIGKILL");
    removeDir(dir);
  }
});
