/**
 * Trending hashtags: tweets (JSON) from the topic `twitter`, hashtags counted
 * over a 60 s window sliding every batch (reduceByKeyAndWindow with the inverse
 * function: each batch adds the new batch and subtracts the one that left the
 * window), the top 10 printed every batch.
 *
 *   millrace submit examples/streaming/trending-hashtags.ts [brokers] [topic] [batchMs] [windowMs]
 */
import { KafkaUtils, StreamingContext, jsonDecoder } from "millrace";
import { trending } from "./trending.js";

const [brokers = "127.0.0.1:9092", topic = "twitter", batchMs = "1000", windowMs = "60000"] = process.argv.slice(2);

const ssc = new StreamingContext({
  appName: "trending-hashtags",
  batchInterval: Number(batchMs),
  master: "local[2]",
  appModule: import.meta.url,
});
const tweets = KafkaUtils.createDirectStream(ssc, {
  bootstrapServers: brokers,
  topics: [topic],
  valueDecoder: jsonDecoder,
  startingOffsets: "latest",
});
trending(
  tweets.map((r) => r.value),
  Number(windowMs),
  Number(batchMs),
).print(10);

await ssc.start();
process.once("SIGINT", () => void ssc.stop({ graceful: true }));
process.once("SIGTERM", () => void ssc.stop({ graceful: true }));
await ssc.awaitTermination();
