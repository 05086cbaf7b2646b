import { describe, it, after, mock } from "node:test";
import assert from "node:assert/strict";
import fs, { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import pino from "pino";
import { DeadLetter } from "../../../../src/agent/sources/connectors/dead-letter.js";
import { readPosition, writePosition } from "../../../../src/agent/sources/connectors/position.js";
import { removeDir, tempDir } from "../../../helpers/broker.js";

const logger = pino({ level: "silent" });

describe("dead letters and positions", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it("counts, calls back and appends JSON lines in order, creating the directory", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const reasons: string[] = [];
    const file = join(dir, "sub", "dead.jsonl");
    const dl = new DeadLetter({ source: "s1", logger, file, onDeadLetter: (r) => reasons.push(r) });
    for (let i = 0; i < 20; i++) void dl.write(`r${i}`, `raw ${i}\n"quoted"`, { line: i });
    await dl.flushed();
    const rows = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { reason: string; raw: string; line: number; source: string });
    assert.equal(dl.count, 20);
    assert.equal(reasons.length, 20);
    assert.deepEqual(
      rows.map((r) => r.line),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(rows[3]!.raw, 'raw 3\n"quoted"');
    assert.equal(rows[0]!.source, "s1");
  });

  it("never throws when the dead-letter file cannot be written", async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(join(dir, "afile"), "");
    const dl = new DeadLetter({ source: "s1", logger, file: join(dir, "afile", "dead.jsonl") });
    await dl.write("bad", "x");
    assert.equal(dl.count, 1);
  });

  it("replaces a position atomically and reads it back", () => {
    const dir = tempDir();
    dirs.push(dir);
    const f = join(dir, "p", "pos");
    assert.equal(readPosition(f), undefined);
    writePosition(f, "123");
    writePosition(f, '[{"offset":5}]');
    assert.equal(readPosition(f), '[{"offset":5}]');
  });

  it("writes a position durably through a temp file: fsynced, whole after many rapid updates, no temp left", () => {
    const dir = tempDir();
    dirs.push(dir);
    const f = join(dir, "p", "pos");
    const fsync = mock.method(fs, "fsyncSync");
    syncBuiltinESMExports();
    try {
      for (let i = 0; i < 200; i++) writePosition(f, `cursor-${i}`);
      // the temp file and the directory, every time
      assert.ok(fsync.mock.callCount() >= 400, `fsync calls: ${fsync.mock.callCount()}`);
    } finally {
      fsync.mock.restore();
      syncBuiltinESMExports();
    }
    assert.equal(readPosition(f), "cursor-199");
    assert.equal(readFileSync(f, "utf8"), "cursor-199\n");
    assert.deepEqual(readdirSync(join(dir, "p")), ["pos"]);
  });
});
