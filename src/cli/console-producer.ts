/**
 * `millrace console-producer`, like kafka-console-producer: one record per
 * input line (stdin or --file), optional key and headers parsing, keyed
 * records partitioned like the Java client (murmur2), the rest spread over
 * partitions batch by batch.
 */
import { Command } from "commander";
import { createReadStream, fstatSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { KafkaClient } from "../client/client.js";
import { partitionForKey } from "../client/partitioner.js";
import { encodeBatch } from "../protocol/records/records.js";
import { CompressionType } from "../protocol/records/batch.js";
import { ConfigError } from "../errors.js";
import { bootstrapOptions, collect, keyValues, refuseZookeeper } from "./common.js";
import { mib, progress } from "./progress.js";

interface Opts {
  bootstrapServer: string;
  zookeeper?: string;
  topic: string;
  property: string[];
  requestRequiredAcks: string;
  compressionCodec?: string;
  batchSize: string;
  file?: string;
}

interface Rec {
  key: Buffer | null;
  value: Buffer;
  headers: { key: string; value: Buffer }[];
}

const CODECS: Record<string, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export function consoleProducerCommand(): Command {
  const cmd = new Command("console-producer").description(
    "write lines from stdin to a topic (like kafka-console-producer)",
  );
  for (const o of bootstrapOptions()) cmd.addOption(o);
  return cmd
    .requiredOption("--topic <name>", "the topic")
    .option(
      "--property <key=value>",
      "parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, " +
        "headers.key.separator (repeatable)",
      collect,
      [] as string[],
    )
    .option("--request-required-acks <acks>", "0, 1 or -1/all", "-1")
    .option("--compression-codec <codec>", "none, gzip, snappy, lz4 or zstd")
    .option("--batch-size <n>", "records per batch", "500")
    .option("--file <path>", "read lines from a file instead of stdin (progress on a terminal, a summary at the end)")
    .action(async (opts: Opts) => {
      refuseZookeeper(opts);
      const props = keyValues(opts.property, "--property");
      const parseKey = props["parse.key"] === "true";
      const keySep = props["key.separator"] ?? "\t";
      const parseHeaders = props["parse.headers"] === "true";
      const headersDelim = props["headers.delimiter"] ?? "\t";
      const headersSep = props["headers.separator"] ?? ",";
      const headerKeySep = props["headers.key.separator"] ?? ":";
      const acksText = opts.requestRequiredAcks === "all" ? "-1" : opts.requestRequiredAcks;
      if (!["0", "1", "-1"].includes(acksText))
        throw new ConfigError("MR_CLI_ARGUMENT", `--request-required-acks must be 0, 1, -1 or all`);
      const acks = Number(acksText) as 0 | 1 | -1;
      const compression = CODECS[opts.compressionCodec ?? "none"];
      if (compression === undefined)
        throw new ConfigError("MR_CLI_ARGUMENT", `unknown --compression-codec ${opts.compressionCodec}`);
      const batchSize = Math.max(1, Number(opts.batchSize));

      const client = await KafkaClient.connect(opts.bootstrapServer, { clientId: "millrace-console-producer" });
      const meta = await client.topic(opts.topic, true);
      const partitions = meta.partitions.length;
      let rr = 0;
      const pending = new Map<number, Rec[]>();
      const inflight: Promise<unknown>[] = [];
      let acked = 0;

      const flush = async (p: number) => {
        const recs = pending.get(p);
        if (!recs || recs.length === 0) return;
        pending.set(p, []);
        const batch = encodeBatch({ records: recs, compression });
        const n = recs.length;
        inflight.push(client.produce(opts.topic, p, batch, acks).then(() => (acked += n)));
        if (inflight.length >= 16) await Promise.all(inflight.splice(0));
      };

      const parse = (line: string): Rec => {
        let rest = line;
        const headers: Rec["headers"] = [];
        if (parseHeaders) {
          const i = rest.indexOf(headersDelim);
          if (i < 0) throw new ConfigError("MR_CLI_INPUT", `no headers delimiter in line: ${line}`);
          for (const h of rest.slice(0, i).split(headersSep)) {
            if (h === "" || h === "[]") continue;
            const j = h.indexOf(headerKeySep);
            headers.push(
              j < 0 ? { key: h, value: Buffer.alloc(0) } : { key: h.slice(0, j), value: Buffer.from(h.slice(j + 1)) },
            );
          }
          rest = rest.slice(i + headersDelim.length);
        }
        let key: Buffer | null = null;
        if (parseKey) {
          const i = rest.indexOf(keySep);
          if (i < 0) throw new ConfigError("MR_CLI_INPUT", `no key separator in line: ${line}`);
          key = Buffer.from(rest.slice(0, i));
          rest = rest.slice(i + keySep.length);
        }
        return { key, value: Buffer.from(rest), headers };
      };

      const input = opts.file ? createReadStream(opts.file) : process.stdin;
      // From a file (--file, or stdin redirected from one): progress on a terminal, a summary at the end.
      let total: number | undefined;
      try {
        const st = opts.file ? statSync(opts.file) : fstatSync(0);
        if (st.isFile()) total = st.size;
      } catch {
        /* stdin closed */
      }
      const prog = total !== undefined ? progress() : undefined;
      const t0 = Date.now();
      let bytes = 0;
      const status = () => {
        const secs = Math.max(0.001, (Date.now() - t0) / 1000);
        const pct = total ? ` (${((bytes * 100) / total).toFixed(0)}%)` : "";
        return (
          `${opts.topic}: ${acked} records acknowledged, ${mib(bytes)} of ${mib(total ?? 0)} read${pct}, ` +
          `${Math.round(acked / secs)} records/s`
        );
      };
      const rl = createInterface({ input, crlfDelay: Infinity });
      let stickyPartition = 0;
      for await (const line of rl) {
        bytes += Buffer.byteLength(line) + 1;
        const rec = parse(line);
        const p = rec.key ? partitionForKey(rec.key, partitions) : stickyPartition;
        let list = pending.get(p);
        if (!list) pending.set(p, (list = []));
        list.push(rec);
        if (list.length >= batchSize) {
          await flush(p);
          if (!rec.key) stickyPartition = ++rr % partitions;
          prog?.update(status());
        }
      }
      for (const p of pending.keys()) await flush(p);
      await Promise.all(inflight);
      if (prog && total !== undefined) {
        bytes = Math.min(bytes, total);
        prog.done(`${opts.topic}: ${acked} records (${mib(bytes)}) sent in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      await client.close();
    });
}
