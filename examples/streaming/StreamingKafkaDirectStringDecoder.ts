/**
 * The article's Spark app, on millrace: a direct stream of strings from the
 * topic `twitter`, each batch printed.
 *
 *   millrace submit examples/streaming/StreamingKafkaDirectStringDecoder.ts [brokers] [topics] [batchMs] [maxBatches]
 *
 * brokers: bootstrap servers (default 127.0.0.1:9092); topics: comma-separated
 * (default twitter); batchMs: batch interval (default 2000); maxBatches: stop
 * after this many batches that had records (default: run until killed).
 */
import { KafkaUtils, StreamingContext } from "millrace";

const [brokers = "127.0.0.1:9092", topics = "twitter", batchMs = "2000", maxBatches] = process.argv.slice(2);

const ssc = new StreamingContext({
  appName: "StreamingKafkaDirectStringDecoder",
  batchInterval: Number(batchMs),
  master: "local[2]",
  appModule: import.meta.url,
});

const messages = KafkaUtils.createDirectStream(ssc, {
  bootstrapServers: brokers,
  topics: topics.split(","),
  startingOffsets: "earliest",
  keyDecoder: (b) => (b === null ? null : b.toString("utf8")),
  valueDecoder: (b) => (b === null ? null : b.toString("utf8")),
});

// the lines of the batch (record values), printed like Spark's DStream.print()
messages.map((record) => record.value).print();

if (maxBatches !== undefined) {
  let seen = 0;
  messages.foreachRDD(async (rdd) => {
    if ((await rdd.count()) > 0 && ++seen >= Number(maxBatches)) void ssc.stop({ graceful: false });
  });
}

await ssc.start();
process.once("SIGINT", () => void ssc.stop({ graceful: true }));
process.once("SIGTERM", () => void ssc.stop({ graceful: true }));
await ssc.awaitTermination();
