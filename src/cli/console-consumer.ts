/**
 * `millrace console-consumer`, like kafka-console-consumer, with kcat-style
 * formatting: --from-beginning, --partition/--offset, --max-messages,
 * --timeout-ms, print.key/print.headers/... properties, or --format with
 * kcat's tokens (%t %p %o %k %s %T %h %K %S).
 */
import { Command } from "commander";
import { KafkaClient } from "../client/client.js";
import { decodeRecordSet } from "../protocol/records/records.js";
import { ConfigError } from "../errors.js";
import { bootstrapOptions, collect, keyValues, refuseZookeeper } from "./common.js";

interface Opts {
  bootstrapServer: string;
  zookeeper?: string;
  topic: string;
  fromBeginning?: boolean;
  partition?: string;
  offset?: string;
  maxMessages?: string;
  timeoutMs?: string;
  property: string[];
  format?: string;
  isolationLevel: string;
}

interface Printed {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

function unescapeFormat(s: string): string {
  return s.replace(/\\n/g, "\n").replace(/\\t/g, "\t").replace(/\\r/g, "\r");
}

export function formatter(opts: { format?: string; props: Record<string, string> }): (r: Printed) => string {
  if (opts.format !== undefined) {
    const fmt = unescapeFormat(opts.format);
    return (r) =>
      fmt.replace(/%([tpokKsSTh%])/g, (_m, c: string) => {
        switch (c) {
          case "t":
            return r.topic;
          case "p":
            return String(r.partition);
          case "o":
            return String(r.offset);
          case "k":
            return r.key ? r.key.toString() : "";
          case "K":
            return String(r.key ? r.key.length : -1);
          case "s":
            return r.value ? r.value.toString() : "";
          case "S":
            return String(r.value ? r.value.length : -1);
          case "T":
            return String(r.timestamp);
          case "h":
            return r.headers.map((h) => `${h.key}=${h.value ? h.value.toString() : ""}`).join(",");
          default:
            return "%";
        }
      });
  }
  const p = opts.props;
  const on = (k: string, d = false) => (p[k] === undefined ? d : p[k] === "true");
  const keySep = unescapeFormat(p["key.separator"] ?? "\t");
  const lineSep = unescapeFormat(p["line.separator"] ?? "\n");
  const nullLiteral = p["null.literal"] ?? "null";
  return (r) => {
    const parts: string[] = [];
    if (on("print.timestamp")) parts.push(r.timestamp >= 0n ? `CreateTime:${r.timestamp}` : "NO_TIMESTAMP");
    if (on("print.partition")) parts.push(`Partition:${r.partition}`);
    if (on("print.offset")) parts.push(`Offset:${r.offset}`);
    if (on("print.headers"))
      parts.push(
        r.headers.length
          ? r.headers.map((h) => `${h.key}:${h.value ? h.value.toString() : nullLiteral}`).join(",")
          : "NO_HEADERS",
      );
    if (on("print.key")) parts.push(r.key ? r.key.toString() : nullLiteral);
    if (on("print.value", true)) parts.push(r.value ? r.value.toString() : nullLiteral);
    return parts.join(keySep) + lineSep;
  };
}

export function consoleConsumerCommand(): Command {
  const cmd = new Command("console-consumer").description("print a topic's records (like kafka-console-consumer)");
  for (const o of bootstrapOptions()) cmd.addOption(o);
  return cmd
    .requiredOption("--topic <name>", "the topic")
    .option("--from-beginning", "start at the earliest offset instead of the latest")
    .option("--partition <n>", "read only this partition")
    .option("--offset <earliest|latest|N>", "start offset (with --partition)")
    .option("--max-messages <n>", "exit after this many records")
    .option("--timeout-ms <ms>", "exit when no record arrived for this long")
    .option(
      "--property <key=value>",
      "print.key, print.value, print.headers, print.timestamp," +
        " print.offset, print.partition, key.separator, line.separator, null.literal",
      collect,
      [] as string[],
    )
    .option("--format <fmt>", "kcat-style format string, e.g. '%k\\t%s\\n'")
    .option("--isolation-level <level>", "read_uncommitted or read_committed", "read_uncommitted")
    .action(async (opts: Opts) => {
      refuseZookeeper(opts);
      const props = keyValues(opts.property, "--property");
      const fmt = formatter({ format: opts.format, props });
      const max = opts.maxMessages ? Number(opts.maxMessages) : Infinity;
      const timeout = opts.timeoutMs ? Number(opts.timeoutMs) : Infinity;
      if (opts.offset && opts.partition === undefined)
        throw new ConfigError("MR_CLI_ARGUMENT", "--offset needs --partition");
      const client = await KafkaClient.connect(opts.bootstrapServer, { clientId: "millrace-console-consumer" });
      let stop = false;
      process.once("SIGINT", () => (stop = true));
      process.once("SIGTERM", () => (stop = true));
      try {
        const meta = await client.topic(opts.topic);
        const parts = opts.partition !== undefined ? [Number(opts.partition)] : meta.partitions.map((p) => p.partition);
        const positions = new Map<number, bigint>();
        for (const p of parts) {
          const o = opts.offset ?? (opts.fromBeginning ? "earliest" : "latest");
          const pos =
            o === "earliest"
              ? await client.listOffset(opts.topic, p, -2n)
              : o === "latest"
                ? await client.listOffset(opts.topic, p, -1n)
                : BigInt(o);
          positions.set(p, pos);
        }
        let count = 0;
        let lastRecordAt = Date.now();
        const isolationLevel = opts.isolationLevel === "read_committed" ? 1 : 0;
        while (!stop && count < max) {
          const results = await Promise.all(
            parts.map(async (p) => ({
              p,
              r: await client.fetch(opts.topic, p, positions.get(p)!, { maxWaitMs: 500, isolationLevel }),
            })),
          );
          let got = 0;
          const out: string[] = [];
          for (const { p, r } of results) {
            if (!r.records) continue;
            for (const batch of decodeRecordSet(r.records)) {
              for (const rec of batch.records) {
                if (rec.offset < positions.get(p)! || count >= max) continue;
                if (!batch.isControl) {
                  out.push(
                    fmt({
                      topic: opts.topic,
                      partition: p,
                      offset: rec.offset,
                      timestamp: rec.timestamp,
                      key: rec.key,
                      value: rec.value,
                      headers: rec.headers,
                    }),
                  );
                  count++;
                  got++;
                }
                positions.set(p, rec.offset + 1n);
              }
              // Batches can hold fewer records than offsets (compaction, control batches).
              const next = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
              if (next > positions.get(p)! && count < max) positions.set(p, next);
            }
          }
          if (out.length) process.stdout.write(out.join(""));
          if (got > 0) lastRecordAt = Date.now();
          else if (Date.now() - lastRecordAt >= timeout) break;
        }
        process.stderr.write(`Processed a total of ${count} messages\n`);
      } finally {
        await client.close();
      }
    });
}
