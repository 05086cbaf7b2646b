import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  hiddenTempPathFor,
  readFileIfExists,
  readFully,
  renameIfExists,
  tempPathFor,
  unlinkIfExists,
  writeFileAtomic,
  writeFileAtomicSync,
  writevFully,
} from "../../src/fs/index.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "mr-fs-"));
}

test("writeFileAtomic replaces the file and leaves no temp behind", async () => {
  const dir = tmp();
  try {
    const p = join(dir, "a.json");
    await writeFileAtomic(p, "one");
    await writeFileAtomic(p, "two");
    assert.equal(readFileSync(p, "utf8"), "two");
    assert.deepEqual(readdirSync(dir), ["a.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("concurrent writeFileAtomic calls of one path are serialised: the last call wins", async () => {
  const dir = tmp();
  try {
    const p = join(dir, "pos");
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(p, String(i))));
    assert.equal(readFileSync(p, "utf8"), "19");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writeFileAtomicSync with mkdir and a hidden temp name", () => {
  const dir = tmp();
  try {
    const p = join(dir, "sub", "x.txt");
    writeFileAtomicSync(p, Buffer.from("hello"), { mkdir: true, tmp: hiddenTempPathFor(p) });
    assert.equal(readFileSync(p, "utf8"), "hello");
    assert.deepEqual(readdirSync(join(dir, "sub")), ["x.txt"]);
    assert.equal(tempPathFor(p), `${p}.tmp`);
    assert.equal(hiddenTempPathFor(p), join(dir, "sub", ".x.txt.tmp"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writevFully and readFully round-trip many buffers; unlinkIfExists reports what it did", async () => {
  const dir = tmp();
  try {
    const p = join(dir, "v.bin");
    const fh = await open(p, "w+");
    const bufs = Array.from({ length: 2000 }, (_, i) => Buffer.alloc(37, i % 251));
    await writevFully(fh, bufs, 0);
    const back = await readFully(fh, 37 * 2000 + 10, 0);
    await fh.close();
    assert.equal(back.length, 37 * 2000);
    assert.ok(back.equals(Buffer.concat(bufs)));
    assert.equal(await unlinkIfExists(p), true);
    assert.equal(await unlinkIfExists(p), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("renameIfExists and readFileIfExists treat a missing file as done and fail on other errors", async () => {
  const dir = tmp();
  try {
    const a = join(dir, "a");
    const b = join(dir, "b");
    assert.equal(await readFileIfExists(a), null);
    assert.equal(await renameIfExists(a, b), false);
    writeFileSync(a, "x");
    assert.equal(await renameIfExists(a, b), true);
    assert.deepEqual(readdirSync(dir), ["b"]);
    assert.equal((await readFileIfExists(b))?.toString(), "x");
    await assert.rejects(readFileIfExists(dir), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
    mkdirSync(join(dir, "d"));
    await assert.rejects(renameIfExists(b, join(dir, "d")), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
