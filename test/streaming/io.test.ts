import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamingContext } from "../../src/streaming/context.js";
import { registry } from "../../src/metrics/registry.js";
import { PIDRateEstimator } from "../../src/streaming/rate.js";
import { tempDir, removeDir } from "../helpers/broker.js";
import { waitFor } from "./helpers.js";

test("socketTextStream reads the lines a TCP server writes", async () => {
  let client: Socket | undefined;
  const server = createServer((s) => (client = s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const ssc = new StreamingContext({ appName: "socket", batchInterval: 40 });
  const got: string[] = [];
  ssc.socketTextStream("127.0.0.1", port).foreachRDD(async (rdd) => {
    got.push(...(await rdd.collect()));
  });
  await ssc.start();
  await waitFor(() => client !== undefined, "the connection");
  client!.write("one\ntwo\r\nthr");
  client!.write("ee\n");
  await waitFor(() => got.length >= 3, "three lines");
  await ssc.stop();
  client!.destroy();
  server.close();
  assert.deepEqual(got, ["one", "two", "three"]);
});

test("textFileStream reads files that appear after the start, each once", async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, "old.txt"), "old\n");
    const ssc = new StreamingContext({ appName: "files", batchInterval: 40 });
    const got: string[] = [];
    ssc.textFileStream(dir).foreachRDD(async (rdd) => {
      got.push(...(await rdd.collect()));
    });
    await ssc.start();
    await new Promise((r) => setTimeout(r, 60));
    writeFileSync(join(dir, ".partial"), "hidden\n");
    writeFileSync(join(dir, "a.txt"), "a1\na2\n");
    await waitFor(() => got.length >= 2, "a.txt");
    writeFileSync(join(dir, "b.txt"), "b1");
    await waitFor(() => got.length >= 3, "b.txt");
    await ssc.stop();
    assert.deepEqual(got, ["a1", "a2", "b1"]);
  } finally {
    removeDir(dir);
  }
});

test(
  "print(n) writes Spark's header and the first n elements; saveAsTextFiles writes part files and " + "_SUCCESS",
  async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    try {
      const ssc = new StreamingContext({ appName: "outputs", batchInterval: 40, master: "local[2]" });
      const s = ssc.queueStream<[string, number] | string>([[["a", 1], "plain", ["b", 2]]]);
      s.print(2);
      s.saveAsTextFiles(join(dir, "out"), "txt");
      const times: number[] = [];
      s.foreachRDD((_r, t) => void times.push(t));
      (process.stdout as { write: unknown }).write = (chunk: string, ...rest: unknown[]) => {
        if (typeof chunk === "string" && chunk.startsWith("-----")) {
          lines.push(chunk);
          return true;
        }
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      };
      await ssc.start();
      await waitFor(() => times.length >= 1, "a batch");
      await ssc.stop();
      (process.stdout as { write: unknown }).write = write;
      const t = times[0]!;
      assert.equal(
        lines.find((l) => l.startsWith("-----")),
        `-------------------------------------------\nTime: ${t} ` +
          `ms\n-------------------------------------------\n(a,1)\nplain\n...\n\n`,
      );
      const out = join(dir, `out-${t}.txt`);
      assert.deepEqual(readdirSync(out).sort(), ["_SUCCESS", "part-00000"]);
      assert.equal(readFileSync(join(out, "part-00000"), "utf8"), '["a",1]\nplain\n["b",2]\n');
      assert.equal(readdirSync(dir).filter((n) => n.startsWith(".")).length, 0, "no temporary directories left");
    } finally {
      (process.stdout as { write: unknown }).write = write;
      removeDir(dir);
    }
  },
);

test("batch metrics: ssc.batches(), listener events and millrace_streaming_* series labelled by app", async () => {
  const ssc = new StreamingContext({ appName: "metrics-app", batchInterval: 30 });
  const events: string[] = [];
  ssc.listener.on("batchSubmitted", () => events.push("submitted"));
  ssc.listener.on("batchCompleted", () => events.push("completed"));
  ssc
    .queueStream([[1, 2, 3], [4]])
    .map((x) => x * 2)
    .foreachRDD(async (rdd) => void (await rdd.count()));
  await ssc.start();
  await waitFor(() => ssc.batches().length >= 3, "three batches");
  await ssc.stop();
  const b = ssc.batches();
  assert.deepEqual(
    b.slice(0, 2).map((x) => x.records),
    [3, 1],
  );
  for (let i = 1; i < b.length; i++)
    assert.equal(b[i]!.time - b[i - 1]!.time, 30, "batches complete in order, one per interval");
  for (const x of b) {
    assert.ok(x.processingTime! >= 0 && x.schedulingDelay! >= 0 && x.totalDelay! >= x.processingTime!);
    assert.ok(x.stages.some((s) => s.name.startsWith("foreachRDD")));
  }
  assert.ok(events.includes("submitted") && events.includes("completed"));
  const text = await registry.metrics();
  assert.match(text, /millrace_streaming_batches_completed_total\{app="metrics-app"\} [3-9]/);
  assert.match(text, /millrace_streaming_records_total\{app="metrics-app"\} 4/);
  assert.match(text, /millrace_streaming_total_delay_ms_count\{app="metrics-app"\}/);
});

test(
  "the PID rate estimator lowers the rate when processing is slower than the input and never goes below " + "minRate",
  () => {
    const est = new PIDRateEstimator(1000, 1, 0.2, 0, 100);
    assert.equal(est.compute(1000, 10_000, 2000, 0), undefined, "the first batch only calibrates");
    const r1 = est.compute(2000, 10_000, 2000, 1000)!;
    assert.ok(r1 < 10_000 / 2 + 1 && r1 >= 100, String(r1));
    const r2 = est.compute(3000, 100, 100_000, 50_000)!;
    assert.equal(r2, 100);
    assert.equal(est.compute(3000, 10, 10, 0), undefined, "times must advance");
  },
);

test("getOrCreate: a stopped app restarted on its checkpoint continues its state where it left off", async () => {
  const dir = tempDir();
  try {
    const out: Array<[string, number][]> = [];
    const make = (input: string[][]) => () => {
      const ssc = new StreamingContext({ appName: "resume", batchInterval: 30 });
      ssc
        .queueStream(input)
        .map((w) => [w, 1] as [string, number])
        .updateStateByKey<string, number, number>((vs, s) => (s ?? 0) + vs.length)
        .foreachRDD(async (rdd) => void out.push((await rdd.collect()).sort()));
      return ssc;
    };
    const a = await StreamingContext.getOrCreate(dir, make([["x", "y"], ["x"]]));
    await a.start();
    await waitFor(() => out.length >= 2, "two batches");
    await a.stop();
    assert.ok(existsSync(join(dir, "metadata.json")));
    out.length = 0;
    const b = await StreamingContext.getOrCreate(dir, make([["y", "z"]]));
    await b.start();
    await waitFor(() => out.some((x) => x.some(([k]) => k === "z")), "the batch after the restart");
    await b.stop();
    assert.deepEqual(
      out.find((x) => x.some(([k]) => k === "z")),
      [
        ["x", 2],
        ["y", 2],
        ["z", 1],
      ],
    );
  } finally {
    removeDir(dir);
  }
});
void mkdirSync;

test("stop() without graceful returns while batches are queued behind a slow one", async () => {
  const ssc = new StreamingContext({ appName: "slow", batchInterval: 20 });
  let runs = 0;
  ssc.queueStream<number>([], true, [1]).foreachRDD(async () => {
    runs++;
    await new Promise((r) => setTimeout(r, 80));
  });
  await ssc.start();
  await waitFor(() => ssc.pendingBatches().length >= 3, "a queue of batches");
  await ssc.stop();
  assert.equal(ssc.state, "stopped");
  const after = runs;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(runs, after, "no batch runs after stop");
});
