import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { createTaildirSource, type TaildirSource } from "../../../src/agent/sources/taildir.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { ListChannelProcessor } from "../helpers/channel.js";

const env = { agentName: "a1", logger: pino({ level: "silent" }) };

function make(dir: string, props: Record<string, string> = {}): [TaildirSource, ListChannelProcessor] {
  const s = createTaildirSource(
    "r1",
    Context.of({
      filegroups: "f1 f2",
      "filegroups.f1": join(dir, "logs", "app\\.log.*"),
      "filegroups.f2": join(dir, "other", "x.txt"),
      "headers.f1.kind": "app",
      positionFile: join(dir, "pos", "taildir_position.json"),
      batchSize: "3",
      ...props,
    }),
    env,
  );
  const cp = new ListChannelProcessor();
  s.setChannelProcessor(cp);
  s.start();
  return [s, cp];
}

async function run(s: TaildirSource): Promise<void> {
  for (let i = 0; i < 100; i++) if ((await s.process()) === "BACKOFF") return;
}

test("TAILDIR: complete lines only, group headers, byte offsets, position file in Flume's format", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "logs"));
  mkdirSync(join(dir, "other"));
  writeFileSync(join(dir, "logs", "app.log"), "a1\na2\na3\na4\npart");
  writeFileSync(join(dir, "logs", "unrelated.txt"), "no\n");
  writeFileSync(join(dir, "other", "x.txt"), "x1\n");
  const [s, cp] = make(dir, { byteOffsetHeader: "true", fileHeader: "true" });
  await run(s);
  assert.deepEqual(cp.bodies().sort(), ["a1", "a2", "a3", "a4", "x1"]);
  const a2 = cp.events.find((e) => e.body.toString() === "a2")!;
  assert.deepEqual(a2.headers, { kind: "app", byteoffset: "3", file: join(dir, "logs", "app.log") });
  appendFileSync(join(dir, "logs", "app.log"), "ial\n");
  await run(s);
  assert.ok(cp.bodies().includes("partial"));
  const pos = JSON.parse(readFileSync(join(dir, "pos", "taildir_position.json"), "utf8")) as {
    inode: number;
    pos: number;
    file: string;
  }[];
  const app = pos.find((p) => p.file.endsWith("app.log"))!;
  assert.equal(app.inode, statSync(join(dir, "logs", "app.log")).ino);
  assert.equal(app.pos, statSync(join(dir, "logs", "app.log")).size);
  await s.stop();
  removeDir(dir);
});

test(
  "TAILDIR: restart resumes from the position file (no loss, no duplicates); rotation by inode; " +
    "refused batches retried",
  async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "logs"));
    const log = join(dir, "logs", "app.log");
    let n = 0;
    const write = (k: number) => {
      for (let i = 0; i < k; i++) appendFileSync(log, `n${n++}\n`);
    };
    write(10);
    const [s, cp] = make(dir);
    await run(s);
    write(5);
    await s.stop();
    write(5);
    const [s2, cp2] = make(dir);
    cp2.fullFor = 2;
    await s2.process();
    await s2.process();
    await run(s2);
    write(3);
    renameSync(log, `${log}.1`); // rotation: the old inode keeps its name pattern app.log.1
    write(4); // a new app.log
    await run(s2);
    await s2.stop();
    const all = [...cp.bodies(), ...cp2.bodies()];
    assert.deepEqual(all.slice().sort(), Array.from({ length: n }, (_, i) => `n${i}`).sort());
    assert.equal(new Set(all).size, all.length, "no duplicates");
    removeDir(dir);
  },
);

test("TAILDIR: skipToEnd starts new files at their end; config errors", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "logs"));
  writeFileSync(join(dir, "logs", "app.log"), "old\n");
  const [s, cp] = make(dir, { skipToEnd: "true" });
  await run(s);
  appendFileSync(join(dir, "logs", "app.log"), "new\n");
  await run(s);
  assert.deepEqual(cp.bodies(), ["new"]);
  await s.stop();
  assert.throws(
    () => createTaildirSource("r1", Context.of({ filegroups: "g" }, "a1.sources.r1"), env),
    /a1\.sources\.r1\.filegroups\.g is required/,
  );
  removeDir(dir);
});

test(
  "TAILDIR: the position file is replaced atomically and fsynced " + "(whole after many rapid updates, no temp left)",
  async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "logs"));
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, "");
    const [s, cp] = make(dir, { batchSize: "1" });
    // FileHandle.sync is what src/fs's atomic write uses for the temp file and for the directory
    const probe = await open(log, "r");
    const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const sync = mock.method(proto, "sync");
    try {
      const updates: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        appendFileSync(log, `l${i}\n`);
        await s.process();
        // rapid overlapping writes on top of the one each committed batch makes
        for (let k = 0; k < 4; k++) updates.push(s.writePositions());
      }
      await Promise.all(updates);
      assert.equal(cp.events.length, 50);
      assert.ok(sync.mock.callCount() >= 2 * 50, `fsync calls: ${sync.mock.callCount()}`);
    } finally {
      sync.mock.restore();
    }
    const posDir = join(dir, "pos");
    assert.deepEqual(readdirSync(posDir), ["taildir_position.json"], "no temp file left behind");
    const pos = JSON.parse(readFileSync(join(posDir, "taildir_position.json"), "utf8")) as {
      pos: number;
      file: string;
    }[];
    assert.equal(pos.length, 1);
    assert.equal(pos[0]!.pos, statSync(log).size);
    await s.stop();
    removeDir(dir);
  },
);
