/** `millrace broker` as its users run it: SIGTERM flushes, closes cleanly and exits 0; data is there after restart. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.js";
import { encodeBatch, decodeRecordSet } from "../../src/protocol/records/records.js";
import { tempDir, removeDir } from "../helpers/broker.js";
import { freePort } from "../helpers/net.js";

async function connect(bootstrap: string): Promise<KafkaClient> {
  for (let i = 0; ; i++) {
    try {
      return await KafkaClient.connect(bootstrap);
    } catch (e) {
      if (i > 400) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test("SIGTERM flushes and exits 0 with a clean-shutdown marker; a restart serves the same data", async () => {
  const dir = tempDir();
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const start = () =>
    spawn(
      process.execPath,
      [
        "bin/millrace.js",
        "broker",
        "--override",
        `listeners=PLAINTEXT://${bootstrap}`,
        "--override",
        `log.dirs=${dir}`,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  let child = start();
  let client = await connect(bootstrap);
  await client.createTopic("s", 1);
  await client.produce("s", 0, encodeBatch({ records: [{ value: "a" }, { value: "b" }] }), 1);
  await client.close();
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  child.kill("SIGTERM");
  assert.equal(await exit, 0);
  assert.match(log, /shutting down/);
  assert.ok(existsSync(join(dir, ".kafka_cleanshutdown")));

  child = start();
  client = await connect(bootstrap);
  const f = await client.fetch("s", 0, 0n);
  assert.deepEqual(
    decodeRecordSet(f.records!).flatMap((b) => b.records.map((r) => r.value!.toString())),
    ["a", "b"],
  );
  await client.close();
  const exit2 = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  await exit2;
  removeDir(dir);
});
