/**
 * SIGKILL test: a child loops put/take commits on a file channel and is killed
 * at random points, 10 times over the same directories; then the channel is
 * reopened here and drained. Every put whose commit resolved and whose events
 * were not taken by a resolved commit is there; nothing rolled back or never
 * committed is; takes committed are not redelivered except when their commit
 * was in flight at the kill (counted).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FileChannel } from "../../../../src/agent/channels/file/file-channel.js";
import { removeDir, tempDir } from "../../../helpers/broker.js";

const child = join(import.meta.dirname, "fixtures", "crash-child.ts");

interface RunLog {
  committed: Set<number>;
  attempted: Set<number>;
  taken: Set<number>;
  takeInFlight: Set<number>;
}

function runAndKill(dir: string, start: number, killAfterCommits: number, log: RunLog): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, dir, String(start)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let commits = 0;
    let killed = false;
    const deadline = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error("child did not make progress within 60 s"));
    }, 60_000);
    const rl = createInterface({ input: p.stdout! });
    rl.on("line", (line) => {
      const [kind, a, b] = line.split(" ");
      if (kind === "B") for (let i = Number(a); i <= Number(b); i++) log.attempted.add(i);
      else if (kind === "P") {
        for (let i = Number(a); i <= Number(b); i++) log.committed.add(i);
        if (++commits >= killAfterCommits && !killed) {
          killed = true;
          setTimeout(() => p.kill("SIGKILL"), Math.floor(Math.random() * 15));
        }
      } else if (kind === "t") for (const n of a ? a.split(",") : []) log.takeInFlight.add(Number(n));
      else if (kind === "T")
        for (const n of a ? a.split(",") : []) {
          log.taken.add(Number(n));
          log.takeInFlight.delete(Number(n));
        }
    });
    p.on("exit", (code, signal) => {
      clearTimeout(deadline);
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`child exited ${code} ${signal}`));
    });
  });
}

test("file channel: nothing committed is lost across repeated SIGKILL", { timeout: 300_000 }, async () => {
  const dir = tempDir();
  const log: RunLog = { committed: new Set(), attempted: new Set(), taken: new Set(), takeInFlight: new Set() };
  try {
    const runs = 10;
    for (let r = 0; r < runs; r++) {
      await runAndKill(dir, r * 1_000_000 + 1, 20 + Math.floor(Math.random() * 200), log);
    }
    const ch = new FileChannel("c1", {
      checkpointDir: join(dir, "ckpt"),
      dataDirs: [join(dir, "d1"), join(dir, "d2")],
      checkpointInterval: 0,
      maxFileSize: 32 * 1024,
      minimumRequiredSpace: 1024 * 1024,
    });
    await ch.start();
    const seen = new Map<number, number>();
    for (;;) {
      const tx = ch.getTransaction();
      tx.begin();
      const e = await tx.take();
      if (!e) {
        await tx.commit();
        tx.close();
        break;
      }
      const n = Number(e.headers.n);
      assert.ok(e.body.toString().startsWith(`${n}:`), "event body matches its header");
      seen.set(n, (seen.get(n) ?? 0) + 1);
      await tx.commit();
      tx.close();
    }
    await ch.stop();

    let lost = 0;
    let takenAtKill = 0;
    for (const n of log.committed) {
      if (log.taken.has(n) || seen.has(n)) continue;
      // a take whose commit was in flight at the kill may have reached the disk: that is a take, not a loss
      if (log.takeInFlight.has(n)) takenAtKill++;
      else lost++;
    }
    let neverCommitted = 0;
    let redeliveredTakes = 0;
    let duplicates = 0;
    for (const [n, count] of seen) {
      if (n < 0 || !log.attempted.has(n)) neverCommitted++;
      if (log.taken.has(n)) assert.fail(`event ${n} came back after its take commit resolved`);
      if (log.takeInFlight.has(n)) redeliveredTakes++;
      if (count > 1) duplicates += count - 1;
    }
    const inFlightButPresent = [...seen.keys()].filter((n) => !log.committed.has(n)).length;
    console.log(
      `crash test: ${runs} kills, committed puts ${log.committed.size}, committed takes ${log.taken.size}, ` +
        `left in channel ${seen.size}, lost ${lost}, take commits in flight at kill that landed ` +
        `${takenAtKill}, duplicates ${duplicates}, ` +
        `takes redelivered (commit in flight at kill) ${redeliveredTakes}, puts present whose commit ` +
        `was in flight at kill ${inFlightButPresent}`,
    );
    assert.ok(log.committed.size > runs * 20, "the child committed puts");
    assert.ok(log.taken.size > 0, "the child committed takes");
    assert.equal(lost, 0, "no committed event lost");
    assert.equal(neverCommitted, 0, "nothing rolled back or never attempted");
    assert.equal(duplicates, 0, "no event twice");
  } finally {
    removeDir(dir);
  }
});
