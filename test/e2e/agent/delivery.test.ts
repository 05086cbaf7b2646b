/**
 * Delivery across kill -9: clients post events to the http source of
 * examples/http-file-channel.conf (file channel -> file_roll) and count what
 * was acknowledged (200); meanwhile the agent process is SIGKILLed at random
 * points and restarted. At the end every acknowledged event is in the
 * file_roll output (at-least-once: duplicates are counted and reported, loss
 * fails the test).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { freePort } from "../../helpers/net.js";
import { runAgent, stopAgent, waitFor, type AgentRun } from "./run.js";

const EVENTS = Number(process.env.MILLRACE_DELIVERY_EVENTS ?? 100_000);
const KILLS = Number(process.env.MILLRACE_DELIVERY_KILLS ?? 6);
const CLIENTS = 4;
const BATCH = 100;
const LINE = /^ev:(\d+):(\d+):end$/;

test(`file channel: ${EVENTS} events acknowledged by the http source survive ${KILLS} SIGKILLs, all reach file_roll`, {
  timeout: 600_000,
}, async () => {
  const dir = tempDir("millrace-delivery-");
  const port = await freePort();
  const args = [
    "-n",
    "a1",
    "-f",
    "examples/http-file-channel.conf",
    "--no-reload-conf",
    `-Da1.sources.r1.port=${port}`,
    `-Da1.channels.c1.checkpointDir=${join(dir, "ckpt")}`,
    `-Da1.channels.c1.dataDirs=${join(dir, "data")}`,
    `-Da1.sinks.k1.sink.directory=${join(dir, "out")}`,
    // small log files, so replay and log-file rotation/deletion run across the kills
    "-Da1.channels.c1.maxFileSize=4000000",
  ];
  const start = () => runAgent(args, { MILLRACE_LOG_LEVEL: "info" });
  let agent: AgentRun = start();
  const acked = new Set<string>();
  let posts = 0;
  let failedPosts = 0;
  let next = 0; // next event number to hand out
  const url = `http://127.0.0.1:${port}/`;

  const client = async (c: number) => {
    for (;;) {
      const from = next;
      if (from >= EVENTS) return;
      next = Math.min(EVENTS, from + BATCH);
      const ids = Array.from({ length: next - from }, (_, i) => `${c}:${from + i}`);
      const body = JSON.stringify(ids.map((id) => ({ headers: { id }, body: `ev:${id}:end` })));
      // retry the same batch until it is acknowledged (a retry after a lost response duplicates)
      for (;;) {
        posts++;
        try {
          const res = await fetch(url, { method: "POST", body, signal: AbortSignal.timeout(20_000) });
          await res.arrayBuffer();
          if (res.status === 200) break;
          assert.ok(res.status === 503 || res.status === 500, `unexpected status ${res.status}`);
        } catch {
          // agent down (connection refused or reset)
        }
        failedPosts++;
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const id of ids) acked.add(id);
    }
  };

  const outDir = join(dir, "out");
  const readOut = () => {
    const seen = new Map<string, number>();
    let torn = 0;
    if (existsSync(outDir)) {
      for (const f of readdirSync(outDir)) {
        for (const l of readFileSync(join(outDir, f), "utf8").split("\n")) {
          if (!l) continue;
          const m = LINE.exec(l);
          if (!m) {
            torn++;
            continue;
          }
          const id = `${m[1]}:${m[2]}`;
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
      }
    }
    return { seen, torn };
  };

  let kills = 0;
  const killer = (async () => {
    while (kills < KILLS) {
      // kill at a random point of each slice of the run
      const target = ((kills + Math.random()) / KILLS) * EVENTS * 0.9;
      await waitFor(() => acked.size >= target || next >= EVENTS, "progress", 300_000);
      if (next >= EVENTS && acked.size >= EVENTS) break;
      // kill a running agent (one that has opened its channel and serves posts)
      await waitFor(() => agent.out().includes("millrace agent started"), "agent started", 60_000);
      agent.child.kill("SIGKILL");
      await agent.exit;
      kills++;
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      agent = start();
    }
  })();

  try {
    await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => client(c)), killer]);
    assert.equal(acked.size, EVENTS);
    const { seen, torn } = await waitFor(
      () => {
        const r = readOut();
        return [...acked].every((id) => r.seen.has(id)) && r;
      },
      "every acknowledged event in the file_roll output",
      300_000,
    ).catch((e) => {
      const r = readOut();
      const lost = [...acked].filter((id) => !r.seen.has(id));
      throw new Error(
        `${(e as Error).message}: ${lost.length} acknowledged events missing, e.g. ${lost.slice(0, 5).join(", ")}`,
      );
    });
    const delivered = [...seen.values()].reduce((s, n) => s + n, 0);
    const dups = delivered - seen.size;
    const extra = [...seen.keys()].filter((id) => !acked.has(id)).length;
    console.log(
      `# delivery: ${acked.size} acknowledged, ${seen.size} distinct delivered, ${delivered} lines (${dups} ` +
        `duplicates, ${extra} never acknowledged), ${torn} torn lines, ${kills} SIGKILLs, ${posts} posts ` +
        `(${failedPosts} refused or failed)`,
    );
    assert.equal(kills, KILLS);
    assert.equal(extra, 0, "nothing delivered that was never sent");
  } finally {
    await stopAgent(agent).catch(() => agent.child.kill("SIGKILL"));
    removeDir(dir);
  }
});
