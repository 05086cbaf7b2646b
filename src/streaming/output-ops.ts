/**
 * The output operations that write somewhere (Spark's DStream.print,
 * saveAsTextFiles, and writing to a topic), as the graph's OutputOps. DStream's
 * methods of the same names register them; foreachRDD is the general one and
 * stays with DStream. Output files are written by output.ts.
 */
import type { DStream } from "./dstream.js";
import type { OutputOp } from "./graph.js";
import { partitionOf } from "./keys.js";
import { formatLine, writeTextDir } from "./output.js";
import type { TopicsPort } from "../topics/port.js";

export interface WriteToTopicOptions<T> {
  /** the key and value of an element's record (default: no key, the element as a line) */
  serialize?: (x: T) => { key?: string | Buffer | null; value: string | Buffer | null };
  /** partitions of the topic (default: described) */
  partitions?: number;
}

function printable(x: unknown): string {
  if (Array.isArray(x) && x.length === 2) return `(${printable(x[0])},${printable(x[1])})`;
  return formatLine(x);
}

/** prints the first `n` elements of every batch */
export function printOp(stream: DStream<unknown>, n: number): OutputOp {
  return {
    stream,
    name: "print",
    run: async (rdd, time) => {
      const first = await rdd.take(n + 1);
      const lines = [
        "-------------------------------------------",
        `Time: ${time} ms`,
        "-------------------------------------------",
      ];
      for (const x of first.slice(0, n)) lines.push(printable(x));
      if (first.length > n) lines.push("...");
      process.stdout.write(lines.join("\n") + "\n\n");
    },
  };
}

/** per batch, a directory `prefix-<time>[.suffix]` of part files and _SUCCESS */
export function saveAsTextFilesOp(stream: DStream<unknown>, prefix: string, suffix?: string): OutputOp {
  return {
    stream,
    name: "saveAsTextFiles",
    run: async (rdd, time) => {
      writeTextDir(`${prefix}-${time}${suffix ? "." + suffix : ""}`, await rdd.partitions());
    },
  };
}

/** every element to `topic`, with the header millrace.batch.time */
export function writeToTopicOp<T>(
  stream: DStream<T>,
  port: TopicsPort,
  topic: string,
  opts: WriteToTopicOptions<T>,
): OutputOp {
  return {
    stream: stream as DStream<unknown>,
    name: "writeToTopic",
    run: async (rdd, time) => {
      const n = opts.partitions ?? (await port.describeTopic(topic))?.partitions ?? 1;
      const byPartition = new Map<
        number,
        { key: string | Buffer | null; value: string | Buffer | null; headers: { key: string; value: Buffer }[] }[]
      >();
      const header = [{ key: "millrace.batch.time", value: Buffer.from(String(time)) }];
      for (const x of await rdd.collect()) {
        const r = opts.serialize ? opts.serialize(x as T) : { key: null, value: formatLine(x) };
        const p = r.key != null ? partitionOf(typeof r.key === "string" ? r.key : r.key.toString("latin1"), n) : 0;
        if (!byPartition.has(p)) byPartition.set(p, []);
        byPartition.get(p)!.push({ key: r.key ?? null, value: r.value, headers: header });
      }
      for (const [p, recs] of byPartition) await port.produce(topic, p, recs, { acks: -1 });
    },
  };
}
