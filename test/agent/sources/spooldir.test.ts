import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createSpoolDirSource, type SpoolDirSource } from "../../../src/agent/sources/spooldir.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { ListChannelProcessor } from "../helpers/channel.js";

const env = { agentName: "a1", logger: pino({ level: "silent" }) };

function make(dir: string, props: Record<string, string> = {}): [SpoolDirSource, ListChannelProcessor] {
  const s = createSpoolDirSource("r1", Context.of({ spoolDir: dir, ...props }), env);
  const cp = new ListChannelProcessor();
  s.setChannelProcessor(cp);
  s.start();
  return [s, cp];
}

async function run(s: SpoolDirSource, max = 1000): Promise<void> {
  for (let i = 0; i < max; i++) if ((await s.process()) === "BACKOFF") return;
}

test("spooldir: lines become events, oldest file first, files completed after commit; headers", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "b.log"), "b1\nb2\n");
  writeFileSync(join(dir, "a.log"), "a1\r\na2\na3");
  writeFileSync(join(dir, "skip.tmp"), "x\n");
  writeFileSync(join(dir, ".hidden"), "x\n");
  utimesSync(join(dir, "a.log"), 1000, 1000);
  utimesSync(join(dir, "b.log"), 2000, 2000);
  const [s, cp] = make(dir, { batchSize: "2", fileHeader: "true", basenameHeader: "true", ignorePattern: "\\.tmp$" });
  await run(s);
  assert.deepEqual(cp.bodies(), ["a1", "a2", "a3", "b1", "b2"]);
  assert.equal(cp.events[0]!.headers.file, join(dir, "a.log"));
  assert.equal(cp.events[3]!.headers.basename, "b.log");
  assert.deepEqual(readdirSync(dir).sort(), [
    ".flumespool",
    ".hidden",
    "a.log.COMPLETED",
    "b.log.COMPLETED",
    "skip.tmp",
  ]);
  await s.stop();
  removeDir(dir);
});

test("spooldir: a refusing channel keeps the file; the batch is retried; deletePolicy immediate", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "f.txt"), "1\n2\n3\n");
  const [s, cp] = make(dir, { batchSize: "2", deletePolicy: "immediate" });
  cp.fullFor = 2;
  assert.equal(await s.process(), "BACKOFF");
  assert.equal(await s.process(), "BACKOFF");
  assert.ok(existsSync(join(dir, "f.txt")));
  await run(s);
  await run(s);
  assert.deepEqual(cp.bodies(), ["1", "2", "3"]);
  assert.ok(!existsSync(join(dir, "f.txt")));
  await s.stop();
  removeDir(dir);
});

test("spooldir: resumes inside a file from the tracker after a restart", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "f.txt"), Array.from({ length: 10 }, (_, i) => `l${i}`).join("\n") + "\n");
  const [s, cp] = make(dir, { batchSize: "3" });
  await s.process();
  await s.process();
  await s.stop();
  const [s2, cp2] = make(dir, { batchSize: "3" });
  await run(s2);
  assert.deepEqual(
    [...cp.bodies(), ...cp2.bodies()],
    Array.from({ length: 10 }, (_, i) => `l${i}`),
  );
  await s2.stop();
  removeDir(dir);
});

test("spooldir: a file changed while being read is fatal; long lines are truncated", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "f.txt"), "x".repeat(50) + "\nshort\nmore\n");
  const [s, cp] = make(dir, { batchSize: "2", "deserializer.maxLineLength": "10" });
  await s.process();
  assert.deepEqual(cp.bodies(), ["x".repeat(10), "short"]);
  appendFileSync(join(dir, "f.txt"), "appended\n");
  assert.equal(await s.process(), "BACKOFF");
  assert.equal((s.fatal as Error & { code: string }).code, "MR_AGENT_SPOOLDIR_FILE_CHANGED");
  assert.equal(await s.process(), "BACKOFF");
  assert.ok(existsSync(join(dir, "f.txt")));
  await s.stop();
  removeDir(dir);
});

test("spooldir: a re-used completed name is fatal; config errors", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "f.txt"), "1\n");
  writeFileSync(join(dir, "f.txt.COMPLETED"), "old\n");
  const [s] = make(dir);
  await run(s);
  assert.equal((s.fatal as Error & { code: string }).code, "MR_AGENT_SPOOLDIR_NAME_REUSED");
  await s.stop();
  assert.throws(() => make(dir, { deletePolicy: "later" }), /deletePolicy/);
  assert.throws(() => make(dir, { deserializer: "AVRO" }), /deserializer/);
  removeDir(dir);
});
