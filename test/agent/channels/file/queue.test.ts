import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointStore, EventQueue } from "../../../../src/agent/channels/file/queue.js";
import { pointer } from "../../../../src/agent/channels/file/records.js";
import { removeDir, tempDir } from "../../../helpers/broker.js";

test("EventQueue: takes from the head, rolled-back takes return to the head in order", () => {
  const q = new EventQueue();
  for (let i = 0; i < 10_000; i++) q.push(i);
  const taken = Array.from({ length: 5000 }, () => q.shift()!);
  assert.equal(q.length, 5000);
  q.unshiftAll(taken.slice(-3));
  assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [4997, 4998, 4999, 5000]);
  assert.equal(q.toArray().length, 4999);
});

test(
  "CheckpointStore: round trip through an atomic replace, " + "none yet is undefined, a corrupt one is null",
  async () => {
    const dir = tempDir();
    try {
      const store = new CheckpointStore(dir);
      assert.equal(await store.read(), undefined);
      const state = { fileId: 3, offset: 1234, pointers: [pointer(2, 8), pointer(3, 99)] };
      await store.write(state);
      await store.write({ ...state, offset: 2000 });
      assert.deepEqual(await store.read(), { ...state, offset: 2000 });
      assert.deepEqual(readdirSync(dir), ["checkpoint"], "no temp file left behind");
      writeFileSync(join(dir, "checkpoint"), "torn");
      assert.equal(await store.read(), null);
    } finally {
      removeDir(dir);
    }
  },
);
