import { StreamingContext, type StreamingContextOptions } from "../../src/streaming/context.js";
import type { DStream } from "../../src/streaming/dstream.js";
import { keyOf } from "../../src/streaming/keys.js";
import { waitFor } from "../helpers/wait.js";

export { waitFor };

/**
 * Feeds `inputs` (one array per batch) through a queueStream, applies `build`,
 * and returns each batch's collected output (one entry per input batch, plus
 * `extra` empty batches after them).
 */
export async function runQueue<I, O>(
  inputs: I[][],
  build: (s: DStream<I>, ssc: StreamingContext) => DStream<O>,
  opts: Partial<StreamingContextOptions> & { extra?: number } = {},
): Promise<O[][]> {
  const timed = await runQueueTimed(inputs, build, opts);
  return timed.map((x) => x.items);
}

/** like runQueue, with each output's batch index (0 = the first input batch); for windows with slides > 1 batch */
export async function runQueueTimed<I, O>(
  inputs: I[][],
  build: (s: DStream<I>, ssc: StreamingContext) => DStream<O>,
  opts: Partial<StreamingContextOptions> & { extra?: number } = {},
): Promise<{ index: number; items: O[] }[]> {
  const ssc = new StreamingContext({ appName: "test", batchInterval: 30, master: "local[2]", ...opts });
  const queue = inputs.map((b) => [...b]);
  const extra = opts.extra ?? 0;
  for (let i = 0; i < extra; i++) queue.push([]);
  const total = queue.length;
  const out = build(ssc.queueStream(queue, true), ssc);
  const results: { index: number; items: O[] }[] = [];
  let last = -1;
  out.foreachRDD(async (rdd, time) => {
    const index = (time - ssc.graph.zeroTime) / ssc.batchInterval - 1;
    results.push({ index, items: await rdd.collect() });
  });
  ssc.queueStream([[0]]).foreachRDD((_rdd, time) => {
    last = (time - ssc.graph.zeroTime) / ssc.batchInterval - 1;
  });
  await ssc.start();
  await waitFor(() => last >= total - 1, `${total} batches`);
  await ssc.stop({ graceful: true });
  return results.filter((r) => r.index < total);
}

/** sorts by a stable encoding, for comparing unordered results */
export function sorted<T>(xs: T[]): T[] {
  return [...xs].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/** a deterministic pseudo-random generator */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
