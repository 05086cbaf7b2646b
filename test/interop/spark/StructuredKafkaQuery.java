/*
 * A Structured Streaming query over the same Kafka topic: readStream.format("kafka"),
 * keys and values cast to strings, written by a JSON file sink with Trigger.AvailableNow
 * (reads everything up to the offsets current at start, then stops), local[2].
 *
 * Usage: StructuredKafkaQuery <bootstrap> <topic> <outputDir> <checkpointDir>
 *
 * Afterwards it reads the sink's output back and prints "count=<n>"; the files under
 * <outputDir> hold one JSON object per record: {key, value, topic, partition, offset}.
 */
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

public final class StructuredKafkaQuery {
  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: StructuredKafkaQuery <bootstrap> <topic> <outputDir> <checkpointDir>");
      System.exit(1);
    }
    SparkSession spark = SparkSession.builder()
        .appName("StructuredKafkaQuery")
        .master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();

    Dataset<Row> records = spark.readStream()
        .format("kafka")
        .option("kafka.bootstrap.servers", args[0])
        .option("subscribe", args[1])
        .option("startingOffsets", "earliest")
        .load()
        .selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value", "topic", "partition", "offset");

    StreamingQuery query = records.writeStream()
        .format("json")
        .option("path", args[2])
        .option("checkpointLocation", args[3])
        .trigger(Trigger.AvailableNow())
        .start();
    query.awaitTermination();
    if (query.exception().isDefined()) throw query.exception().get();

    long n = spark.read().schema(records.schema()).json(args[2]).count();
    System.out.println("count=" + n);
    System.out.flush();
    spark.stop();
  }
}
