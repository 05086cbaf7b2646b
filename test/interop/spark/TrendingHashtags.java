/*
 * The trending-hashtags job on Apache Spark Streaming (Kafka 0.10 direct stream), the Spark side of
 * bench/side-by-side/streaming.ts: JSON tweets (Twitter API v2 shape) from a topic, the hashtags of
 * data.entities.hashtags[].tag (lower-cased, "#" prefixed), counted over a window sliding every batch
 * with reduceByKeyAndWindow and its inverse function (zero counts filtered out), the top 10 taken
 * every batch. local[2], the Spark UI off.
 *
 * Usage: TrendingHashtags <bootstrap> <topic> <expected> <maxRatePerPartition> <batchMs> <windowMs> <timeoutSeconds> [latency]
 *
 * Prints per non-empty batch "batch <time> records=<n> top=<tag:count,...>"; with "latency", also
 * "lat <now - record timestamp>" lines per batch (the batch's oldest and newest record, measured once
 * the batch's top 10 is out). When <expected> records were read (expected <= 0: until the timeout),
 * prints "done records=<n> seconds=<s> VmHWM=<kB>" where s runs from the start of the first non-empty batch's
 * processing to the end of the batch that reached <expected>, then exits 0 (2 on timeout).
 */
import java.io.Serializable;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaInputDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.kafka010.ConsumerStrategies;
import org.apache.spark.streaming.kafka010.HasOffsetRanges;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.apache.spark.streaming.kafka010.LocationStrategies;
import org.apache.spark.streaming.kafka010.OffsetRange;
import scala.Tuple2;

public final class TrendingHashtags {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicLong TOTAL = new AtomicLong();
  private static volatile long firstStart = 0L;
  private static volatile long batchRecords = 0L;
  private static final CountDownLatch DONE = new CountDownLatch(1);

  static final class ByCountThenTag implements Comparator<Tuple2<String, Integer>>, Serializable {
    @Override
    public int compare(Tuple2<String, Integer> a, Tuple2<String, Integer> b) {
      int c = Integer.compare(b._2(), a._2());
      return c != 0 ? c : a._1().compareTo(b._1());
    }
  }

  static Iterator<String> hashtags(String value) throws Exception {
    List<String> out = new ArrayList<>();
    JsonNode tags = JSON.readTree(value).path("data").path("entities").path("hashtags");
    for (JsonNode t : tags) out.add("#" + t.path("tag").asText().toLowerCase());
    return out.iterator();
  }

  /** "VmHWM=<kB>": the process's peak resident set */
  static String vmHwm() {
    try {
      for (String l : Files.readAllLines(java.nio.file.Paths.get("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) return "VmHWM=" + l.replaceAll("[^0-9]", "");
      }
    } catch (Exception e) {
      // not Linux
    }
    return "VmHWM=0";
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 7) {
      System.err.println("usage: TrendingHashtags <bootstrap> <topic> <expected> <maxRatePerPartition> <batchMs> <windowMs> <timeoutSeconds> [latency]");
      System.exit(1);
    }
    String bootstrap = args[0];
    String topic = args[1];
    long expected = Long.parseLong(args[2]);
    String maxRate = args[3];
    long batchMs = Long.parseLong(args[4]);
    long windowMs = Long.parseLong(args[5]);
    long timeoutMs = Long.parseLong(args[6]) * 1000L;
    boolean latency = args.length > 7 && args[7].equals("latency");

    SparkConf conf = new SparkConf()
        .setAppName("TrendingHashtags")
        .setMaster("local[2]")
        .set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.streaming.kafka.maxRatePerPartition", maxRate);
    JavaStreamingContext jssc = new JavaStreamingContext(conf, Durations.milliseconds(batchMs));
    jssc.checkpoint(Files.createTempDirectory("trending-checkpoint").toString());

    Map<String, Object> kafkaParams = new HashMap<>();
    kafkaParams.put("bootstrap.servers", bootstrap);
    kafkaParams.put("key.deserializer", StringDeserializer.class);
    kafkaParams.put("value.deserializer", StringDeserializer.class);
    kafkaParams.put("group.id", "spark-trending-" + System.nanoTime());
    kafkaParams.put("auto.offset.reset", latency ? "latest" : "earliest");
    kafkaParams.put("enable.auto.commit", false);

    JavaInputDStream<ConsumerRecord<String, String>> stream = KafkaUtils.createDirectStream(
        jssc, LocationStrategies.PreferConsistent(), ConsumerStrategies.<String, String>Subscribe(List.of(topic), kafkaParams));

    // records per batch from the offset ranges (metadata only: no extra Kafka read)
    stream.foreachRDD(rdd -> {
      long n = 0;
      for (OffsetRange r : ((HasOffsetRanges) rdd.rdd()).offsetRanges()) n += r.untilOffset() - r.fromOffset();
      batchRecords = n;
      if (n > 0 && firstStart == 0L) firstStart = System.nanoTime();
    });

    JavaPairDStream<String, Integer> counts = stream
        .map(ConsumerRecord::value)
        .flatMap(TrendingHashtags::hashtags)
        .mapToPair(tag -> new Tuple2<>(tag, 1))
        .reduceByKeyAndWindow((a, b) -> a + b, (a, b) -> a - b, Durations.milliseconds(windowMs), Durations.milliseconds(batchMs), 2, kv -> kv._2() > 0);

    // the batch's record timestamps (a second read of the batch's Kafka ranges, only in latency mode)
    final List<long[]> stamps = new ArrayList<>();
    if (latency) {
      stream.foreachRDD(rdd -> {
        JavaRDD<Long> ts = rdd.map(ConsumerRecord::timestamp);
        synchronized (stamps) {
          stamps.clear();
          if (!ts.isEmpty()) stamps.add(new long[] {ts.min(Comparator.naturalOrder()), ts.max(Comparator.naturalOrder())});
        }
      });
    }

    counts.foreachRDD((rdd, time) -> {
      List<Tuple2<String, Integer>> top = rdd.takeOrdered(10, new ByCountThenTag());
      long now = System.currentTimeMillis();
      long n = batchRecords;
      if (n == 0) return;
      long total = TOTAL.addAndGet(n);
      StringBuilder sb = new StringBuilder("batch ").append(time.milliseconds()).append(" records=").append(n).append(" top=");
      for (Tuple2<String, Integer> t : top) sb.append(t._1()).append(':').append(t._2()).append(',');
      System.out.println(sb);
      if (latency) {
        synchronized (stamps) {
          for (long[] s : stamps) System.out.println("lat " + (now - s[0]) + " " + (now - s[1]) + " " + n);
        }
      }
      if (expected > 0 && total >= expected) {
        double seconds = (System.nanoTime() - firstStart) / 1e9;
        System.out.println("done records=" + total + " seconds=" + seconds + " " + vmHwm());
        System.out.flush();
        DONE.countDown();
      }
    });

    jssc.start();
    System.out.println("started");
    System.out.flush();
    boolean ok = DONE.await(timeoutMs, TimeUnit.MILLISECONDS);
    if (!ok) System.out.println((expected > 0 ? "timeout" : "end") + " records=" + TOTAL.get() + " " + vmHwm());
    System.out.flush();
    jssc.stop(true, false);
    System.exit(ok || expected <= 0 ? 0 : 2);
  }
}
