import { StreamingContext, type StreamingContextOptions } from "../../src/streaming/context.js";
import type { DStream } from "../../src/streaming/dstream.js";
import { keyOf } from "../../src/streaming/keys.js";

/** polls `cond` until it holds (generous deadline; never a timing assertion) */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
  const ssc = new StreamingContext({ appName: "test", batchInterval: 30, master: "local[2]", ...opts });
  const queue = inputs.map((b) => [...b]);
  const extra = opts.extra ?? 0;
  for (let i = 0; i < extra; i++) queue.push([]);
  const total = queue.length;
  const out = build(ssc.queueStream(queue, true), ssc);
  const results: O[][] = [];
  out.foreachRDD(async (rdd) => {
    results.push(await rdd.collect());
  });
  await ssc.start();
  await waitFor(() => results.length >= total, `${total} batches`);
  await ssc.stop();
  return results.slice(0, total);
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
