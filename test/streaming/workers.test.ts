import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { EmbeddedTopics } from "../../src/topics/embedded.js";
import { tempDir, removeDir } from "../helpers/broker.js";
import { sorted, waitFor } from "./helpers.js";

const APP = pathToFileURL(join(import.meta.dirname, "fixtures", "workers-app.ts")).href;
type App = typeof import("./fixtures/workers-app.js");

async function run(master: string, extra = ""): Promise<App> {
  const app = (await import(`${APP}?master=${encodeURIComponent(master)}${extra}`)) as App;
  await app.ssc.start();
  return app;
}

async function runAll(master: string): Promise<{ results: App["results"]; threads: Set<number>; workers: boolean }> {
  const app = await run(master);
  await waitFor(
    () => Object.values(app.results).length === 6 && Object.values(app.results).every((r) => r.length >= app.BATCHES),
    "all batches",
  );
  const workers = app.ssc.usesWorkerThreads;
  await app.ssc.stop({ graceful: true });
  return { results: app.results, threads: new Set(app.results.threads!.flat() as number[]), workers };
}

test("local[2] runs narrow tasks on worker threads and gives the same results as local[1]", async () => {
  const one = await runAll("local[1]");
  const two = await runAll("local[2]");
  assert.equal(one.workers, false);
  assert.equal(two.workers, true);
  assert.deepEqual([...one.threads], [0]);
  assert.ok(two.threads.size >= 1 && !two.threads.has(0), `threads ${[...two.threads]}`);
  for (const name of ["map", "reduceByKey", "countByValue", "mapPartitions", "mapValues"]) {
    const a = one.results[name]!.slice(0, 5);
    const b = two.results[name]!.slice(0, 5);
    assert.deepEqual(
      b.map((x) => sorted(x)),
      a.map((x) => sorted(x)),
      name,
    );
  }
  // the batches were not empty
  assert.ok(one.results.map!.every((b) => b.length > 0));
});

test("an exception in a worker task fails the batch with MR_STREAMING_TASK_FAILED", async () => {
  const app = await run("local[2]", "&fail=1");
  assert.equal(app.ssc.usesWorkerThreads, true);
  await assert.rejects(app.ssc.awaitTermination(), (e: Error & { code?: string }) => {
    assert.equal(e.code, "MR_STREAMING_TASK_FAILED");
    assert.match(e.message, /zeta is not allowed/);
    return true;
  });
});

test("Kafka records are decoded in workers (buffers restored, malformed records counted once)", async () => {
  const dir = tempDir("workers-kafka");
  try {
    const port = await EmbeddedTopics.open({ dataDir: dir });
    await port.createTopic("tweets", { partitions: 3 });
    for (let p = 0; p < 3; p++) {
      await port.produce(
        "tweets",
        p,
        Array.from({ length: 20 }, (_, i) => ({ value: i === 7 && p === 1 ? "{not json" : JSON.stringify({ n: i }) })),
        { acks: 1 },
      );
    }
    await port.close();
    const outs: Record<string, unknown[]> = {};
    for (const master of ["local[1]", "local[2]"]) {
      const app = await run(master, `&dir=${encodeURIComponent(dir)}`);
      await waitFor(() => (app.results.kafka ?? []).flat().length >= 59, `59 records on ${master}`);
      assert.equal(app.ssc.usesWorkerThreads, master === "local[2]");
      const stream = app.ssc.graph.inputs().find((s) => s.opName === "createDirectStream") as unknown as {
        malformedCount: number;
      };
      await app.ssc.stop();
      await app.port!.close();
      assert.equal(stream.malformedCount, 1, master);
      const all = app.results.kafka!.flat() as [number, number, Buffer][];
      for (const x of all) assert.ok(Buffer.isBuffer(x[2]), "a Buffer, not a bare Uint8Array");
      outs[master] = sorted(all.map(([o, n, b]) => [o, n, b.toString()]));
    }
    assert.equal(outs["local[2]"]!.length, 59);
    assert.deepEqual(outs["local[2]"], outs["local[1]"]);
  } finally {
    removeDir(dir);
  }
});

test("stop() closes the worker threads: the process ends by itself", async () => {
  const { execFile } = await import("node:child_process");
  const script = join(import.meta.dirname, "fixtures", "workers-stop.ts");
  const res = await new Promise<{ code: number | null; stdout: string; timedOut: boolean }>((resolve) => {
    // a generous deadline: a process kept alive by its workers never ends
    const child = execFile(process.execPath, ["--import", "tsx", script], { timeout: 60_000 }, (err, stdout) => {
      resolve({ code: child.exitCode, stdout, timedOut: !!(err as { killed?: boolean } | null)?.killed });
    });
  });
  assert.equal(res.timedOut, false, "the process hung after stop()");
  assert.equal(res.code, 0);
  const out = JSON.parse(res.stdout.trim().split("\n").pop()!) as { workers: boolean; batches: number };
  assert.equal(out.workers, true);
  assert.ok(out.batches >= 2);
});
