import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { removeDir, tempDir } from "../helpers/broker.js";
import { rng } from "../streaming/helpers.js";
import { openEmbedded } from "../streaming/ports.js";

const APP = fileURLToPath(new URL("./fixtures/learners-app.ts", import.meta.url));
const PER_PARTITION = 100; // 5 records per partition per 50 ms batch -> 20 batches

/**
 * runs the app; SIGKILLs it `killAfterMs` after it started (undefined: let it finish). Resolves whether it
 * finished.
 */
function runApp(args: string[], killAfterMs?: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", APP, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let started = false;
    child.stdout.on("data", (d) => {
      out += d;
      if (!started && /started, re-running/.test(out)) {
        started = true;
        if (killAfterMs !== undefined) setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    const watchdog = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`app did not finish within 120 s; stdout: ${out}; stderr: ${err}`));
    }, 120_000);
    child.on("exit", (code, signal) => {
      clearTimeout(watchdog);
      if (signal === "SIGKILL") return resolve(/^finished$/m.test(out));
      if (code !== 0) return reject(new Error(`app exited with ${code}: ${err}`));
      resolve(/^finished$/m.test(out));
    });
  });
}

function models(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of readdirSync(dir)) {
    const m = /^model-(\d+)\.json$/.exec(n);
    if (m) out.set(Number(m[1]), readFileSync(join(dir, n), "utf8"));
  }
  return out;
}

test("streaming learners checkpointed with the state: after SIGKILLs the models of every batch" +
  " equal an uninterrupted run's", {
  timeout: 600_000,
}, async () => {
  const logDir = tempDir();
  const dirs = { refCk: tempDir(), refOut: tempDir(), ck: tempDir(), out: tempDir() };
  try {
    const { port, close } = await openEmbedded(logDir, true);
    await port.createTopic("points", { partitions: 2 });
    const r = rng(17);
    const blobs = [
      [0, 0],
      [5, 5],
      [-4, 6],
    ];
    for (let p = 0; p < 2; p++) {
      const recs = Array.from({ length: PER_PARTITION }, () => {
        const c = blobs[Math.floor(r() * 3)]!;
        const a = c[0]! + r() - 0.5;
        const b = c[1]! + r() - 0.5;
        return { value: `${2 * a - b + 0.1 * (r() - 0.5)} ${a} ${b}` };
      });
      await port.produce("points", p, recs);
    }
    await close();

    assert.equal(await runApp([logDir, dirs.refCk, dirs.refOut]), true);
    const kr = rng(5);
    let kills = 0;
    let finished = false;
    while (!finished) {
      finished = await runApp([logDir, dirs.ck, dirs.out], kills >= 4 ? undefined : 100 + Math.floor(kr() * 300));
      if (!finished) kills++;
    }
    assert.ok(kills >= 1, `killed ${kills} times`);

    const ref = models(dirs.refOut);
    const got = models(dirs.out);
    const batches = PER_PARTITION / 5;
    for (let i = 1; i <= batches; i++) {
      assert.ok(ref.has(i), `reference model of batch ${i}`);
      assert.equal(got.get(i), ref.get(i), `model after batch ${i}`);
    }
    // the models did learn: regression weights near (2, -1)
    const last = JSON.parse(ref.get(batches)!) as { weights: number[] };
    assert.ok(Math.abs(last.weights[0]! - 2) < 0.5 && Math.abs(last.weights[1]! + 1) < 0.5, String(last.weights));
  } finally {
    removeDir(logDir);
    for (const d of Object.values(dirs)) removeDir(d);
  }
});
