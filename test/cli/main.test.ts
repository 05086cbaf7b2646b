import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

test("millrace --help prints usage", () => {
  const r = spawnSync(process.execPath, ["bin/millrace.js", "--help"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Usage: millrace/);
});
