import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir, removeDir } from "../helpers/broker.js";
import { openEmbedded } from "./ports.js";
import { rng } from "./helpers.js";

const APP = fileURLToPath(new URL("./fixtures/exactly-once-app.ts", import.meta.url));
const PER_PARTITION = 300; // 5 records per partition per 50 ms batch -> 60 batches
const BATCHES = PER_PARTITION / 5;

let rerun = 0;

/**
 * runs the app; kills it with SIGKILL `killAfterMs` after it started (undefined: let it finish). Resolves
 * whether it finished.
 */
function runApp(args: string[], killAfterMs?: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", APP, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let started = false;
    child.stdout.on("data", (d) => {
      out += d;
      const m = /started, re-running (\d+)/.exec(out);
      if (m && !started) {
        started = true;
        rerun += Number(m[1]);
        if (killAfterMs !== undefined) setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    // a run that neither finishes nor gets killed is a failure, with what the app said
    const watchdog = setTimeout(
      () => {
        child.kill("SIGKILL");
        reject(new Error(`app did not finish within 120 s; stdout: ${out}; stderr: ${err}`));
      },
      Number(process.env.EO_WATCHDOG_MS ?? 120_000),
    );
    child.on("exit", (code, signal) => {
      clearTimeout(watchdog);
      if (signal === "SIGKILL") return resolve(/^finished$/m.test(out));
      if (code !== 0) return reject(new Error(`app exited with ${code}: ${err}`));
      resolve(/^finished$/m.test(out));
    });
  });
}

/** output directories by batch index (time relative to the first batch), with their files */
function outputs(dir: string, prefix: string): Map<number, Record<string, string>> {
  const names = readdirSync(dir).filter((n) => n.startsWith(prefix + "-"));
  const times = names.map((n) => Number(/-(\d+)/.exec(n)![1])).sort((a, b) => a - b);
  const first = times[0]!;
  const out = new Map<number, Record<string, string>>();
  for (const n of names) {
    const t = Number(/-(\d+)/.exec(n)![1]);
    const files: Record<string, string> = {};
    for (const f of readdirSync(join(dir, n)).sort()) files[f] = readFileSync(join(dir, n, f), "utf8");
    out.set((t - first) / 50, files);
  }
  return out;
}

test("SIGKILLed many times at random points, the app's outputs equal those of an uninterrupted run, byte for byte", {
  timeout: 900_000,
}, async () => {
  const logDir = tempDir();
  const dirs = { refCk: tempDir(), refOut: tempDir(), ck: tempDir(), out: tempDir() };
  try {
    const { port, close } = await openEmbedded(logDir, true);
    await port.createTopic("clicks", { partitions: 3 });
    const r = rng(11);
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < PER_PARTITION; i += 50) {
        await port.produce(
          "clicks",
          p,
          Array.from({ length: 50 }, (_, j) => ({ value: `user${Math.floor(r() * 7)} click ${p}-${i + j}` })),
        );
      }
    }
    await close();

    assert.equal(await runApp([logDir, dirs.refCk, dirs.refOut]), true);

    const kr = rng(5);
    let kills = 0;
    let finished = false;
    while (!finished) {
      if (kills >= 10) {
        finished = await runApp([logDir, dirs.ck, dirs.out]);
        assert.ok(finished);
        break;
      }
      finished = await runApp([logDir, dirs.ck, dirs.out], Math.floor(kr() * 250));
      if (!finished) kills++;
    }
    assert.ok(kills >= 10, `killed ${kills} times`);
    assert.ok(rerun >= 1, "some restarts re-ran batches that were cut off");

    for (const prefix of ["totals", "window"]) {
      const ref = outputs(dirs.refOut, prefix);
      const got = outputs(dirs.out, prefix);
      const expectedCount = prefix === "totals" ? BATCHES : BATCHES / 2;
      const refIdx = [...ref.keys()].sort((a, b) => a - b);
      const gotIdx = [...got.keys()].sort((a, b) => a - b);
      // batch times are contiguous multiples of the interval in both runs
      assert.deepEqual(refIdx.slice(0, expectedCount), gotIdx.slice(0, expectedCount));
      assert.ok(refIdx.length >= expectedCount && gotIdx.length >= expectedCount);
      for (const i of refIdx.slice(0, expectedCount)) {
        assert.deepEqual(got.get(i), ref.get(i), `${prefix} batch #${i}`);
        assert.ok("_SUCCESS" in ref.get(i)!);
      }
      // the last compared totals hold every record
      if (prefix === "totals") {
        const last = ref.get(refIdx[expectedCount - 1]!)!;
        const total = Object.entries(last)
          .filter(([f]) => f.startsWith("part-"))
          .flatMap(([, text]) => text.split("\n").filter(Boolean))
          .reduce((n, line) => n + (JSON.parse(line) as [string, number])[1], 0);
        assert.equal(total, 3 * PER_PARTITION);
      }
    }
  } finally {
    removeDir(logDir);
    for (const d of Object.values(dirs)) removeDir(d);
  }
});
