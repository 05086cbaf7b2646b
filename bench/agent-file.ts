/**
 * Agent storage benchmark: a batch driver puts events into a file channel (one
 * transaction per batch, group-committed fdatasync) while a file_roll sink drains
 * it (take batch, write, fsync, commit). Reports events/s for puts alone, takes
 * alone, and the two running together; 100-byte bodies by default.
 *
 *   npm run bench:agent-file [-- --events 200000 --batch 100 --producers 4 --size 100]
 */
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { event, type Event } from "../src/agent/api.js";
import { FileChannel } from "../src/agent/channels/file/file-channel.js";
import { RollingFileSink } from "../src/agent/sinks/file-roll.js";
import { removeDir, tempDir } from "../test/helpers/broker.js";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "200000" },
    batch: { type: "string", default: "100" },
    producers: { type: "string", default: "4" },
    size: { type: "string", default: "100" },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const PRODUCERS = Number(args.producers);
const body = Buffer.alloc(Number(args.size), "x");

function channel(dir: string): FileChannel {
  return new FileChannel("c1", {
    checkpointDir: join(dir, "ckpt"),
    dataDirs: [join(dir, "data")],
    capacity: EVENTS + BATCH * PRODUCERS,
    transactionCapacity: Math.max(BATCH, 100),
    checkpointInterval: 30_000,
    minimumRequiredSpace: 1024 * 1024,
  });
}

async function produce(ch: FileChannel, total: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const n = Math.min(BATCH, total - next);
      next += n;
      const tx = ch.getTransaction();
      tx.begin();
      for (let i = 0; i < n; i++) await tx.put(event(body, { seq: String(i) }) as Event);
      await tx.commit();
      tx.close();
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, worker));
}

async function drain(sink: RollingFileSink, ch: FileChannel, total: number, producing: () => boolean): Promise<void> {
  let moved = 0;
  while (moved < total) {
    const before = ch.counter.get("EventTakeSuccessCount");
    const st = await sink.process();
    moved += ch.counter.get("EventTakeSuccessCount") - before;
    if (st === "BACKOFF") await new Promise((r) => setTimeout(r, producing() ? 1 : 0));
  }
}

function rate(n: number, ms: number): string {
  return `${Math.round((n * 1000) / ms).toLocaleString("en-US")} events/s`;
}

const results: Record<string, number> = {};
{
  const dir = tempDir("millrace-bench-");
  const ch = channel(dir);
  await ch.start();
  const sink = new RollingFileSink("k1", { directory: join(dir, "out"), rollInterval: 30, batchSize: BATCH });
  sink.setChannel(ch);
  sink.start();
  let t = performance.now();
  await produce(ch, EVENTS);
  const putMs = performance.now() - t;
  results.put = (EVENTS * 1000) / putMs;
  console.log(`file channel put (${PRODUCERS} producers, batch ${BATCH}): ${rate(EVENTS, putMs)}`);
  t = performance.now();
  await drain(sink, ch, EVENTS, () => false);
  const takeMs = performance.now() - t;
  results.drain = (EVENTS * 1000) / takeMs;
  console.log(`file channel -> file_roll drain (batch ${BATCH}): ${rate(EVENTS, takeMs)}`);
  await sink.stop();
  await ch.stop();
  removeDir(dir);
}
{
  const dir = tempDir("millrace-bench-");
  const ch = channel(dir);
  await ch.start();
  const sink = new RollingFileSink("k1", { directory: join(dir, "out"), rollInterval: 30, batchSize: BATCH });
  sink.setChannel(ch);
  sink.start();
  let producing = true;
  const t = performance.now();
  const p = produce(ch, EVENTS).then(() => (producing = false));
  await drain(sink, ch, EVENTS, () => producing);
  await p;
  const ms = performance.now() - t;
  results.pipeline = (EVENTS * 1000) / ms;
  console.log(`puts -> file channel -> file_roll, concurrently: ${rate(EVENTS, ms)}`);
  await sink.stop();
  await ch.stop();
  removeDir(dir);
}
console.log(
  JSON.stringify({
    bench: "agent-file",
    events: EVENTS,
    batch: BATCH,
    producers: PRODUCERS,
    size: body.length,
    cpus: cpus().length,
    results,
  }),
);
