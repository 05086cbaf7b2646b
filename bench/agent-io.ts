/**
 * Events/s through the agent's network components (single process, loopback):
 *   kafka channel puts (embedded topics, 100-event transactions, AvroFlumeEvent)
 *   kafka channel takes of the same events
 *   avro sink -> avro source (batches of 100)
 * Run: npx tsx bench/agent-io.ts [events]
 */
import pino from "pino";
import { Context, event, type Channel, type ChannelProcessor, type Event } from "../src/agent/api.js";
import { createKafkaChannel } from "../src/agent/channels/kafka.js";
import { createAvroSource } from "../src/agent/sources/avro.js";
import { createAvroSink } from "../src/agent/sinks/avro.js";
import { embeddedTopics } from "../test/agent/io-helpers.js";

const N = Number(process.argv[2] ?? 100_000);
const env = { agentName: "bench", logger: pino({ level: "silent" }) };
const body = "x".repeat(200);

async function main() {
  const topics = await embeddedTopics();
  const port = topics.view;
  const ch = createKafkaChannel(
    "c1",
    Context.of({ "kafka.topic": "bench", "kafka.consumer.auto.offset.reset": "earliest" }),
    { ...env, topics: async () => port },
  );
  await ch.start();
  let t = performance.now();
  for (let i = 0; i < N; i += 100) {
    const tx = ch.getTransaction();
    tx.begin();
    for (let j = 0; j < 100; j++) await tx.put(event(body, { i: String(i + j) }));
    await tx.commit();
    tx.close();
  }
  const putS = (performance.now() - t) / 1000;
  t = performance.now();
  let took = 0;
  while (took < N) {
    const tx = ch.getTransaction();
    tx.begin();
    for (let j = 0; j < 100; j++) if (await tx.take()) took++;
    await tx.commit();
    tx.close();
  }
  const takeS = (performance.now() - t) / 1000;
  await ch.stop();
  console.log(
    `kafka channel (embedded): put ${Math.round(N / putS)} events/s, take ${Math.round(N / takeS)} events/s ` +
      `(${N} events of ${body.length} B)`,
  );

  // avro sink -> avro source
  const src = createAvroSource("r1", Context.of({ bind: "127.0.0.1", port: "0" }), env);
  let got = 0;
  const cp: ChannelProcessor = {
    processEvent: async () => void got++,
    processEventBatch: async (es: Event[]) => void (got += es.length),
  };
  src.setChannelProcessor(cp);
  await src.start();
  const queue: Event[] = Array.from({ length: N }, (_, i) => event(body, { i: String(i) }));
  let head = 0;
  const mem: Channel = {
    name: "m",
    start() {},
    stop() {},
    size: () => queue.length - head,
    capacity: () => undefined,
    getTransaction: () => ({
      begin() {},
      put: async () => {},
      take: async () => (head < queue.length ? queue[head++] : null),
      commit: async () => {},
      rollback: async () => {},
      close() {},
    }),
  };
  const sink = createAvroSink(
    "k1",
    Context.of({ hostname: "127.0.0.1", port: String(src.boundPort), "batch-size": "100" }),
    env,
  );
  sink.setChannel(mem);
  sink.start();
  t = performance.now();
  while ((await sink.process()) === "READY");
  const avroS = (performance.now() - t) / 1000;
  sink.stop();
  await src.stop();
  console.log(`avro sink -> avro source: ${Math.round(got / avroS)} events/s (${got} events, batches of 100)`);
  await topics.cleanup();
}

await main();
