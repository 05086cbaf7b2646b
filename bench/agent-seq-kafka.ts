/**
 * seq -> kafka channel (no sink) through the agent runtime: the sequence
 * generator source puts batches of --batch events, each batch one Kafka
 * channel transaction = one produce of AvroFlumeEvent records (acks=all).
 *   embedded: the agent's own topics (TopicsPort over the log, in process)
 *   broker:   a millrace broker in this process, reached over loopback TCP
 *             through kafka.bootstrap.servers (the remote adapter)
 *
 *   npx tsx bench/agent-seq-kafka.ts [--events 200000 --batch 100]
 */
import { parseArgs } from "node:util";
import pino from "pino";
import { Agent } from "../src/agent/runtime/agent.js";
import { monitoringSnapshot } from "../src/agent/counters.js";
import { parseProperties } from "../src/formats/properties.js";
import { embeddedTopics } from "../test/agent/io-helpers.js";
import { removeDir, startBroker } from "../test/helpers/broker.js";

const { values: args } = parseArgs({
  options: { events: { type: "string", default: "200000" }, batch: { type: "string", default: "100" } },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);

function conf(name: string, bootstrap?: string): string {
  return `${name}.sources = r1
${name}.channels = c1
${name}.sources.r1.type = seq
${name}.sources.r1.totalEvents = ${EVENTS}
${name}.sources.r1.batchSize = ${BATCH}
${name}.sources.r1.channels = c1
${name}.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel
${name}.channels.c1.kafka.topic = twitter
${name}.channels.c1.parseAsFlumeEvent = true
${bootstrap ? `${name}.channels.c1.kafka.bootstrap.servers = ${bootstrap}` : ""}
`;
}

async function run(
  name: string,
  topics: Parameters<typeof Agent.start>[0]["topics"],
  bootstrap?: string,
): Promise<number> {
  const t0 = performance.now();
  const agent = await Agent.start({
    name,
    properties: parseProperties(conf(name, bootstrap), "bench.conf"),
    logger: pino({ level: "silent" }),
    topics,
  });
  try {
    for (;;) {
      const put = Number(monitoringSnapshot(name)["CHANNEL.c1"]?.EventPutSuccessCount ?? 0);
      if (put >= EVENTS) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    return EVENTS / ((performance.now() - t0) / 1000);
  } finally {
    await agent.stop();
  }
}

const f = (n: number) => Math.round(n).toLocaleString("en-US");
const emb = await embeddedTopics();
try {
  const rate = await run("embedded", async () => emb.view);
  console.log(
    `seq -> kafka channel (embedded topics): ${f(rate)} events/s (${EVENTS} events, batches of ${BATCH}, ` +
      `AvroFlumeEvent, acks=all)`,
  );
} finally {
  await emb.cleanup();
}
const broker = await startBroker();
try {
  const rate = await run("remote", undefined, broker.bootstrap);
  console.log(
    `seq -> kafka channel (millrace broker over loopback): ${f(rate)} events/s (${EVENTS} events, batches of ` +
      `${BATCH}, AvroFlumeEvent, acks=all)`,
  );
} finally {
  await broker.stop();
  removeDir(broker.dir);
}
