/*
 * The article's Spark Streaming application, on the Kafka 0.10 integration: a direct
 * stream (KafkaUtils.createDirectStream, one RDD partition per Kafka partition, offsets
 * tracked by Spark) with String keys and values, 1-second batches, local[2].
 *
 * Usage: StreamingKafkaDirectStringDecoder <bootstrap> <topics,comma,separated> <group> <expected> <timeoutSeconds>
 *
 * Prints, for every non-empty batch, "batch <time> count=<n>" and one line per record
 * "record <topic> <partition> <offset> <key> <value>" (tab separated), commits the batch's
 * offset ranges to the group (commitAsync), and stops once <expected> records were seen
 * ("done total=<n>", exit 0) or the timeout passed ("timeout total=<n>", exit 2).
 */
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.SparkConf;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaInputDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.kafka010.CanCommitOffsets;
import org.apache.spark.streaming.kafka010.ConsumerStrategies;
import org.apache.spark.streaming.kafka010.HasOffsetRanges;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.apache.spark.streaming.kafka010.LocationStrategies;
import org.apache.spark.streaming.kafka010.OffsetRange;

public final class StreamingKafkaDirectStringDecoder {
  private static final AtomicLong TOTAL = new AtomicLong();

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: StreamingKafkaDirectStringDecoder <bootstrap> <topics> <group> <expected> <timeoutSeconds>");
      System.exit(1);
    }
    String bootstrap = args[0];
    List<String> topics = Arrays.asList(args[1].split(","));
    String group = args[2];
    long expected = Long.parseLong(args[3]);
    long timeoutMs = Long.parseLong(args[4]) * 1000L;

    SparkConf conf = new SparkConf()
        .setAppName("StreamingKafkaDirectStringDecoder")
        .setMaster("local[2]")
        .set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1");
    JavaStreamingContext jssc = new JavaStreamingContext(conf, Durations.seconds(1));

    Map<String, Object> kafkaParams = new HashMap<>();
    kafkaParams.put("bootstrap.servers", bootstrap);
    kafkaParams.put("key.deserializer", StringDeserializer.class);
    kafkaParams.put("value.deserializer", StringDeserializer.class);
    kafkaParams.put("group.id", group);
    kafkaParams.put("auto.offset.reset", "earliest");
    kafkaParams.put("enable.auto.commit", false);

    JavaInputDStream<ConsumerRecord<String, String>> stream = KafkaUtils.createDirectStream(
        jssc,
        LocationStrategies.PreferConsistent(),
        ConsumerStrategies.<String, String>Subscribe(topics, kafkaParams));

    stream.foreachRDD((rdd, time) -> {
      OffsetRange[] ranges = ((HasOffsetRanges) rdd.rdd()).offsetRanges();
      // ConsumerRecord is not serializable: turn each record into a line on the executors.
      List<String> lines = rdd
          .map(r -> r.topic() + "\t" + r.partition() + "\t" + r.offset() + "\t" + r.key() + "\t" + r.value())
          .collect();
      if (!lines.isEmpty()) {
        StringBuilder sb = new StringBuilder();
        sb.append("batch ").append(time.milliseconds()).append(" count=").append(lines.size()).append('\n');
        for (String l : lines) sb.append("record\t").append(l).append('\n');
        System.out.print(sb);
        System.out.flush();
      }
      ((CanCommitOffsets) stream.inputDStream()).commitAsync(ranges);
      TOTAL.addAndGet(lines.size());
    });

    jssc.start();
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (TOTAL.get() < expected && System.currentTimeMillis() < deadline) {
      jssc.awaitTerminationOrTimeout(200);
    }
    // let the last commitAsync go out with the next batch's poll
    jssc.awaitTerminationOrTimeout(2000);
    boolean done = TOTAL.get() >= expected;
    System.out.println((done ? "done" : "timeout") + " total=" + TOTAL.get());
    System.out.flush();
    jssc.stop(true, false);
    System.exit(done ? 0 : 2);
  }
}
