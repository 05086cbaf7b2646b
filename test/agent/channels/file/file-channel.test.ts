import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context, event, type Event } from "../../../../src/agent/api.js";
import { FileChannel, createFileChannel } from "../../../../src/agent/channels/file/file-channel.js";
import { removeDir, tempDir } from "../../../helpers/broker.js";

function make(dir: string, opts: Partial<ConstructorParameters<typeof FileChannel>[1]> = {}): FileChannel {
  return new FileChannel("c1", {
    checkpointDir: join(dir, "ckpt"),
    dataDirs: [join(dir, "d1"), join(dir, "d2")],
    checkpointInterval: 0,
    minimumRequiredSpace: 1024 * 1024,
    keepAlive: 0,
    ...opts,
  });
}

async function putAll(ch: FileChannel, bodies: string[], headers: Record<string, string> = {}): Promise<void> {
  const tx = ch.getTransaction();
  tx.begin();
  for (const b of bodies) await tx.put(event(b, { ...headers }));
  await tx.commit();
  tx.close();
}

async function takeAll(ch: FileChannel, max = Infinity, commit = true): Promise<Event[]> {
  const tx = ch.getTransaction();
  tx.begin();
  const out: Event[] = [];
  while (out.length < max) {
    const e = await tx.take();
    if (!e) break;
    out.push(e);
  }
  if (commit) await tx.commit();
  else await tx.rollback();
  tx.close();
  return out;
}

const bodies = (es: Event[]) => es.map((e) => e.body.toString());

test("put, commit, take, commit; rollback returns takes and discards puts", async () => {
  const dir = tempDir();
  const ch = make(dir);
  await ch.start();
  try {
    await putAll(ch, ["a", "b", "c"], { h: "v" });
    assert.equal(ch.size(), 3);
    const tx = ch.getTransaction();
    tx.begin();
    await tx.put(event("never"));
    await tx.rollback();
    tx.close();
    assert.equal(ch.size(), 3);
    const rolled = await takeAll(ch, 2, false);
    assert.deepEqual(bodies(rolled), ["a", "b"]);
    assert.equal(ch.size(), 3);
    const got = await takeAll(ch);
    assert.deepEqual(bodies(got), ["a", "b", "c"]);
    assert.deepEqual(got[0]!.headers, { h: "v" });
    assert.equal(ch.size(), 0);
    assert.equal(ch.counter.get("EventPutSuccessCount"), 3);
    assert.equal(ch.counter.get("EventTakeSuccessCount"), 3);
    assert.equal(ch.counter.get("RollbackCounter"), 2);
  } finally {
    await ch.stop();
    removeDir(dir);
  }
});

test("replay without a checkpoint restores committed state only", async () => {
  const dir = tempDir();
  const ch = make(dir);
  await ch.start();
  await putAll(ch, ["1", "2", "3", "4"], { k: "x" });
  await takeAll(ch, 1);
  const open = ch.getTransaction();
  open.begin();
  await open.put(event("uncommitted"));
  // simulate a crash: no stop(), no checkpoint; a new instance reads the same dirs
  const ch2 = make(dir);
  await ch2.start();
  try {
    assert.equal(ch2.replayStats.replayedPuts, 4);
    assert.equal(ch2.replayStats.replayedTakes, 1);
    const got = await takeAll(ch2);
    assert.deepEqual(bodies(got), ["2", "3", "4"]);
    assert.deepEqual(got[0]!.headers, { k: "x" });
  } finally {
    await ch2.stop();
    removeDir(dir);
  }
});

test("checkpoint then more log: replay starts from the checkpoint and keeps in-flight takes", async () => {
  const dir = tempDir();
  const ch = make(dir);
  await ch.start();
  await putAll(ch, ["a", "b", "c"]);
  const holder = ch.getTransaction();
  holder.begin();
  assert.equal((await holder.take())!.body.toString(), "a"); // open take at checkpoint time
  await ch.checkpoint(true);
  await putAll(ch, ["d"]);
  await takeAll(ch, 1); // takes b
  const ch2 = make(dir);
  await ch2.start();
  try {
    assert.equal(ch2.replayStats.checkpointEvents, 3);
    assert.equal(ch2.replayStats.replayedPuts, 1);
    assert.deepEqual(bodies(await takeAll(ch2)), ["a", "c", "d"]);
  } finally {
    await ch2.stop();
    removeDir(dir);
  }
});

test("a torn or corrupt tail is ignored and truncated; earlier commits survive", async () => {
  const dir = tempDir();
  const ch = make(dir);
  await ch.start();
  await putAll(ch, ["keep1", "keep2"]);
  await putAll(ch, ["torn"]);
  const logs = readdirSync(join(dir, "d2")).filter((n) => n.startsWith("log-"));
  const path = join(dir, "d2", logs[0]!);
  const size = statSync(path).size;
  truncateSync(path, size - 3); // the last commit record is torn
  const ch2 = make(dir);
  await ch2.start();
  assert.equal(ch2.replayStats.tornTails, 1);
  assert.deepEqual(bodies(await takeAll(ch2, Infinity, false)), ["keep1", "keep2"]);
  await ch2.stop();
  // garbage appended after a good tail (bad CRC)
  const logs2 = readdirSync(join(dir, "d1")).filter((n) => n.startsWith("log-"));
  appendFileSync(
    join(dir, "d1", logs2.sort().at(-1)!),
    Buffer.from([0, 0, 0, 20, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]),
  );
  const ch3 = make(dir);
  await ch3.start();
  try {
    assert.deepEqual(bodies(await takeAll(ch3)), ["keep1", "keep2"]);
  } finally {
    await ch3.stop();
    removeDir(dir);
  }
});

test("a corrupt checkpoint falls back to replaying every log", async () => {
  const dir = tempDir();
  const ch = make(dir);
  await ch.start();
  await putAll(ch, ["x", "y"]);
  await ch.stop();
  writeFileSync(join(dir, "ckpt", "checkpoint"), "garbage");
  const ch2 = make(dir);
  await ch2.start();
  try {
    assert.deepEqual(bodies(await takeAll(ch2)), ["x", "y"]);
  } finally {
    await ch2.stop();
    removeDir(dir);
  }
});

test("log files rotate at maxFileSize, across dataDirs, and are deleted once drained and checkpointed", async () => {
  const dir = tempDir();
  const ch = make(dir, { maxFileSize: 2048 });
  await ch.start();
  try {
    const body = "z".repeat(300);
    for (let i = 0; i < 20; i++) await putAll(ch, [`${i}:${body}`]);
    const count = () => readdirSync(join(dir, "d1")).length + readdirSync(join(dir, "d2")).length;
    assert.ok(readdirSync(join(dir, "d1")).length > 0 && readdirSync(join(dir, "d2")).length > 0);
    const before = count();
    assert.ok(before >= 4, `expected several log files, got ${before}`);
    // replay across files
    const ch2 = make(dir, { maxFileSize: 2048 });
    await ch2.start();
    assert.equal(ch2.size(), 20);
    await ch2.stop();
    const got = await takeAll(ch);
    assert.deepEqual(
      got.map((e) => e.body.toString().split(":")[0]),
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    await ch.checkpoint(true);
    assert.ok(count() < before, `old files deleted (${count()} < ${before})`);
  } finally {
    await ch.stop();
  }
  const ch3 = make(dir, { maxFileSize: 2048 });
  await ch3.start();
  assert.equal(ch3.size(), 0);
  await ch3.stop();
  removeDir(dir);
});

test("capacity, transactionCapacity and minimumRequiredSpace refuse puts", async () => {
  const dir = tempDir();
  const ch = make(dir, { capacity: 3, transactionCapacity: 2 });
  await ch.start();
  try {
    const tx = ch.getTransaction();
    tx.begin();
    await tx.put(event("1"));
    await tx.put(event("2"));
    await assert.rejects(tx.put(event("3")), { code: "MR_AGENT_TRANSACTION_FULL" });
    await tx.commit();
    tx.close();
    await putAll(ch, ["3"]);
    await assert.rejects(putAll(ch, ["4"]), { code: "MR_AGENT_CHANNEL_FULL" });
    assert.equal(ch.size(), 3);
    await takeAll(ch, 1);
    await putAll(ch, ["4"]);
    assert.equal(ch.size(), 3);
  } finally {
    await ch.stop();
  }
  const ch2 = make(dir, { minimumRequiredSpace: Number.MAX_SAFE_INTEGER });
  await ch2.start();
  try {
    await assert.rejects(putAll(ch2, ["x"]), (err: Error & { code?: string }) => {
      assert.equal(err.code, "MR_AGENT_CHANNEL_DISK_SPACE");
      assert.match(err.message, /minimumRequiredSpace/);
      return true;
    });
    assert.equal(ch2.size(), 3);
  } finally {
    await ch2.stop();
    removeDir(dir);
  }
});

test("concurrent commits are group-committed and all land", async () => {
  const dir = tempDir();
  const ch = make(dir);
  await ch.start();
  await Promise.all(Array.from({ length: 50 }, (_, i) => putAll(ch, [`a${i}`, `b${i}`])));
  assert.equal(ch.size(), 100);
  const ch2 = make(dir);
  await ch2.start();
  try {
    const got = bodies(await takeAll(ch2));
    assert.equal(got.length, 100);
    assert.equal(new Set(got).size, 100);
  } finally {
    await ch2.stop();
    await ch.stop();
    removeDir(dir);
  }
});

test("factory reads Flume's keys and validates them", () => {
  const env = { agentName: "a1", logger: pino({ level: "silent" }) };
  const ch = createFileChannel(
    "c1",
    Context.of({ checkpointDir: "/tmp/x", dataDirs: "/tmp/a, /tmp/b", capacity: "10", transactionCapacity: "5" }),
    env,
  );
  assert.equal(ch.capacity(), 10);
  assert.throws(
    () => createFileChannel("c1", Context.of({ capacity: "10", transactionCapacity: "50" }, "a1.channels.c1"), env),
    /a1\.channels\.c1\.transactionCapacity/,
  );
});
