/**
 * The sink contract for file_roll, hdfs (local path), kafka (embedded topics)
 * and avro (to a local Avro RPC server). null and logger run it in
 * sinks.test.ts.
 */
import { after } from "node:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context, type Event } from "../../../src/agent/api.js";
import { createFileRollSink } from "../../../src/agent/sinks/file-roll.js";
import { createHdfsSink } from "../../../src/agent/sinks/hdfs.js";
import { createKafkaSink } from "../../../src/agent/sinks/kafka.js";
import { createAvroSink } from "../../../src/agent/sinks/avro.js";
import { AvroRpcServer } from "../../../src/agent/avro-rpc/server.js";
import type { TopicsPort } from "../../../src/topics/port.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { embeddedTopics, env } from "../io-helpers.js";
import { sinkContract } from "../contracts/sink.js";

const dirs: string[] = [];
const dir = () => {
  const d = tempDir("millrace-sink-contract-");
  dirs.push(d);
  return d;
};
after(() => dirs.forEach(removeDir));

/** every line of every file under d, files in name order */
function linesUnder(d: string): string[] {
  const files: string[] = [];
  const walk = (p: string) => {
    for (const n of readdirSync(p).sort()) {
      const f = join(p, n);
      if (statSync(f).isDirectory()) walk(f);
      else files.push(f);
    }
  };
  walk(d);
  return files.flatMap((f) => readFileSync(f, "utf8").split("\n").filter(Boolean));
}

sinkContract("file_roll", (ch) => {
  const d = dir();
  const sink = createFileRollSink(
    "k1",
    Context.of({ "sink.directory": d, "sink.rollInterval": "0", "sink.batchSize": "40" }),
    env(),
  );
  sink.setChannel(ch);
  return { sink, delivered: () => linesUnder(d) };
});

sinkContract("hdfs (local path, rollCount)", (ch) => {
  const d = dir();
  const sink = createHdfsSink(
    "k1",
    Context.of({
      "hdfs.path": `file://${d}/%Y/%m/%d`,
      "hdfs.useLocalTimeStamp": "true",
      "hdfs.fileType": "DataStream",
      "hdfs.rollCount": "100",
      "hdfs.rollSize": "0",
      "hdfs.rollInterval": "0",
      "hdfs.batchSize": "40",
    }),
    env(),
  );
  sink.setChannel(ch);
  // files are named FlumeData.<counter>: name order is write order
  return { sink, delivered: () => linesUnder(d) };
});

let kafka: Awaited<ReturnType<typeof embeddedTopics>> | undefined;
after(async () => kafka?.cleanup());
let topicN = 0;
sinkContract("kafka (embedded topics)", async (ch) => {
  kafka ??= await embeddedTopics();
  const topic = `sink-contract-${topicN++}`;
  const port = kafka.port;
  let broken = false;
  // a port whose produce fails while the "broker" is down
  const flaky = Object.create(kafka.view, {
    produce: {
      value: (...a: Parameters<TopicsPort["produce"]>) =>
        broken ? Promise.reject(new Error("broker down")) : port.produce(...a),
    },
  }) as TopicsPort;
  const sink = createKafkaSink("k1", Context.of({ "kafka.topic": topic, flumeBatchSize: "40" }), env(flaky));
  sink.setChannel(ch);
  return {
    sink,
    delivered: async () => (await port.fetch(topic, 0, 0n)).records.map((r) => r.value!.toString()),
    breakDownstream: () => void (broken = true),
    repairDownstream: () => void (broken = false),
  };
});

sinkContract("avro (to a local Avro RPC server)", async (ch) => {
  const got: string[] = [];
  let broken = false;
  const accept = async (es: Event[]) => {
    if (broken) return "FAILED" as const;
    got.push(...es.map((e) => e.body.toString()));
    return "OK" as const;
  };
  const server = new AvroRpcServer(
    "127.0.0.1",
    0,
    { append: (e) => accept([e]), appendBatch: accept },
    pino({ level: "silent" }),
  );
  const port = await server.start();
  const sink = createAvroSink(
    "k1",
    Context.of({ hostname: "127.0.0.1", port: String(port), "batch-size": "40", "request-timeout": "5000" }),
    env(),
  );
  sink.setChannel(ch);
  return {
    sink,
    delivered: () => got,
    breakDownstream: () => void (broken = true),
    repairDownstream: () => void (broken = false),
    cleanup: () => server.stop(),
  };
});
