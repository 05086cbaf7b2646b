/**
 * The throughput part of bench/streaming.ts as an app module (so local[N]
 * workers can load it): the trending-hashtags pipeline over the pre-filled
 * embedded topic `tweets` in DIR, until every record is processed; prints
 * one JSON line { master, records, seconds, recordsPerSec, workerThreads }.
 *
 *   tsx bench/streaming-throughput-app.ts DIR local[2] [partitions=4] [batchMs=200] [maxRatePerPartition=150000]
 */
import { EmbeddedTopics } from "../src/topics/embedded.js";
import { StreamingContext } from "../src/streaming/context.js";
import { KafkaUtils } from "../src/streaming/kafka.js";
import { jsonDecoder } from "../src/formats/decoders.js";
import { trending } from "../examples/streaming/trending.js";

const [dir, master = "local[1]", partsArg = "4", batchArg = "200", rateArg = "150000"] = process.argv.slice(2);
const PARTS = Number(partsArg);
// (in a worker thread the port is not opened: see EmbeddedTopics.open)
const port = await EmbeddedTopics.open({ dataDir: dir!, backgroundTasks: false });
const ends = await Promise.all(Array.from({ length: PARTS }, (_, p) => port.listOffset("tweets", p, "latest")));
const total = ends.reduce((a, b) => a + Number(b), 0);
const ssc = new StreamingContext({
  appName: `bench-${master}`,
  batchInterval: Number(batchArg),
  master,
  appModule: import.meta.url,
});
const stream = KafkaUtils.createDirectStream(ssc, {
  topics: ["tweets"],
  topicsPort: port,
  startingOffsets: "earliest",
  valueDecoder: jsonDecoder,
  maxRatePerPartition: Number(rateArg),
});
trending(
  stream.map((r) => r.value),
  60_000,
  Number(batchArg),
).foreachRDD(async (rdd) => {
  await rdd.collect();
});
let done = 0;
let t1 = 0;
stream.foreachRDD((rdd) => {
  const n = KafkaUtils.offsetRanges(rdd).reduce((a, r) => a + Number(r.untilOffset - r.fromOffset), 0);
  done += n;
  if (done >= total && t1 === 0) {
    t1 = performance.now();
    void ssc.stop();
  }
});
const start = performance.now();
await ssc.start();
const workerThreads = ssc.usesWorkerThreads;
const ready = performance.now();
const cpu0 = process.cpuUsage();
await ssc.awaitTermination();
// CPU time of the whole process (all threads) while it ran
const cpu = process.cpuUsage(cpu0);
await port.close();
// timed from the start of the context (worker start-up excluded: it is reported apart)
const seconds = (t1 - ready) / 1000;
console.log(
  JSON.stringify({
    master,
    records: total,
    seconds,
    recordsPerSec: Math.round(total / seconds),
    workerThreads,
    startupSeconds: (ready - start) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }),
);
