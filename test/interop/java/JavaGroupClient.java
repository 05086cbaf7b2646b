/*
 * The Java client (kafka-clients 3.9.2) in a consumer group, for test/interop/kafka-java-group.test.ts.
 *
 *   JavaGroupClient produce <bootstrap> <topic> <from> <count>
 *       sends records key "k<i>", value "v<i>" for i in [from, from+count), acks=all; prints "produced <count>"
 *   JavaGroupClient split <bootstrap> <topic> <group> <expected>
 *       two consumers of one group, each on its own thread; each pauses its partitions until the
 *       group's assignment covers every partition with both members (so that no record is read
 *       before the final split), then they poll until together they have <expected> records,
 *       commitSync after every poll; prints per consumer
 *       "assigned <name> <p,p,...>" and "record <name> <partition> <offset> <key> <value>", then "total <n>"
 *   JavaGroupClient resume <bootstrap> <topic> <group> <expected>
 *       one consumer of the group resumes from the committed offsets; prints its records and "total <n>"
 *
 * Exits 2 if <expected> records were not seen within 90 s.
 */
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class JavaGroupClient {
  private static final long DEADLINE_MS = 90_000;

  public static void main(String[] args) throws Exception {
    String mode = args[0], bootstrap = args[1], topic = args[2];
    switch (mode) {
      case "produce" -> produce(bootstrap, topic, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
      case "split" -> System.exit(consume(bootstrap, topic, args[3], Integer.parseInt(args[4]), 2));
      case "resume" -> System.exit(consume(bootstrap, topic, args[3], Integer.parseInt(args[4]), 1));
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static void produce(String bootstrap, String topic, int from, int count) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = from; i < from + count; i++) producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
    }
    System.out.println("produced " + count);
  }

  static Properties props(String bootstrap, String group, String name) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", group);
    p.put("client.id", name);
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    p.put("max.poll.records", "10");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    return p;
  }

  /** Every member has partitions and together they hold each partition exactly once. */
  static boolean ready(java.util.Map<String, Set<Integer>> assignments, int consumers, int partitions) {
    if (assignments.size() < consumers) return false;
    int sum = 0;
    Set<Integer> union = new TreeSet<>();
    for (Set<Integer> s : assignments.values()) {
      if (s.isEmpty()) return false;
      sum += s.size();
      union.addAll(s);
    }
    return sum == partitions && union.size() == partitions;
  }

  static int consume(String bootstrap, String topic, String group, int expected, int consumers) throws Exception {
    ConcurrentLinkedQueue<String> out = new ConcurrentLinkedQueue<>();
    AtomicInteger total = new AtomicInteger();
    java.util.Map<String, Set<Integer>> assignments = new java.util.concurrent.ConcurrentHashMap<>();
    int partitions;
    try (KafkaConsumer<String, String> probe = new KafkaConsumer<>(props(bootstrap, group, "probe"))) {
      partitions = probe.partitionsFor(topic).size();
    }
    long deadline = System.currentTimeMillis() + DEADLINE_MS;
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < consumers; c++) {
      String name = "c" + c;
      Thread t = new Thread(() -> {
        Properties p = props(bootstrap, group, name);
        Set<Integer> assigned = new java.util.concurrent.ConcurrentSkipListSet<>();
        assignments.put(name, assigned);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
          consumer.subscribe(Collections.singletonList(topic), new ConsumerRebalanceListener() {
            public void onPartitionsRevoked(Collection<TopicPartition> parts) { for (TopicPartition tp : parts) assigned.remove(tp.partition()); }
            public void onPartitionsAssigned(Collection<TopicPartition> parts) {
              for (TopicPartition tp : parts) assigned.add(tp.partition());
              if (!ready(assignments, consumers, partitions)) consumer.pause(parts);
            }
          });
          while (total.get() < expected && System.currentTimeMillis() < deadline) {
            if (!consumer.paused().isEmpty() && ready(assignments, consumers, partitions)) consumer.resume(consumer.paused());
            int n = 0;
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
              out.add("record " + name + " " + r.partition() + " " + r.offset() + " " + r.key() + " " + r.value());
              n++;
            }
            if (n > 0) {
              consumer.commitSync();
              total.addAndGet(n);
            }
          }
          out.add("assigned " + name + " " + String.join(",", assigned.stream().map(String::valueOf).toList()));
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    for (String line : out) System.out.println(line);
    System.out.println("total " + total.get());
    return total.get() >= expected ? 0 : 2;
  }
}
