// Drives one release of the Java client library (kafka-clients 1.1 .. 3.x) for protocol capture.
//
//   test/interop/tooling/kafka.sh run-client <version> scripts/capture/clients/JavaClientDriver.java \
//       <bootstrap> <topic> <codecs, e.g. gzip,snappy,lz4,zstd> [txn]
//
// Uses only APIs present in every release from 1.1 on, so each release speaks its own protocol
// versions: admin createTopics/describeConfigs/deleteTopics, producer (acks all/1/0, compression,
// headers, idempotent, optionally transactional), consumer group (subscribe, poll, commitSync,
// committed, beginning/end offsets, offsetsForTimes).
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.*;

public class JavaClientDriver {
  public static void main(String[] args) throws Exception {
    String bs = args[0], topic = args[1];
    String[] codecs = args.length > 2 && !args[2].isEmpty() ? args[2].split(",") : new String[0];
    boolean txn = args.length > 3 && args[3].equals("txn");
    String version = org.apache.kafka.common.utils.AppInfoParser.getVersion();
    String id = "java-" + version;

    Properties ap = new Properties();
    ap.put("bootstrap.servers", bs);
    ap.put("client.id", id + "-admin");
    try (AdminClient admin = AdminClient.create(ap)) {
      String adminTopic = topic + "-admin";
      NewTopic nt = new NewTopic(adminTopic, 2, (short) 1);
      nt.configs(Collections.singletonMap("retention.ms", "3600000"));
      admin.createTopics(Arrays.asList(nt, new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      admin.describeTopics(Collections.singleton(adminTopic)).all().get(30, TimeUnit.SECONDS);
      admin.describeConfigs(Collections.singleton(new ConfigResource(ConfigResource.Type.TOPIC, adminTopic)))
          .all().get(30, TimeUnit.SECONDS);
      admin.describeConfigs(Collections.singleton(new ConfigResource(ConfigResource.Type.BROKER, "1")))
          .all().get(30, TimeUnit.SECONDS);
      admin.deleteTopics(Collections.singleton(adminTopic)).all().get(30, TimeUnit.SECONDS);
    }

    List<String> variants = new ArrayList<>();
    variants.add("none/all");
    variants.add("none/1");
    variants.add("none/0");
    for (String c : codecs) variants.add(c + "/all");
    for (String v : variants) {
      String[] cv = v.split("/");
      Properties pp = producerProps(bs, id + "-producer");
      pp.put("compression.type", cv[0]);
      pp.put("acks", cv[1]);
      pp.put("enable.idempotence", "false");
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp)) {
        for (int i = 0; i < 3; i++) {
          ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, bytes("k" + i),
              bytes("java " + version + " " + v + " message " + i + " ....................."));
          r.headers().add("h", bytes("v" + i));
          p.send(r);
        }
        p.flush();
        if (cv[1].equals("0")) Thread.sleep(200);
      }
    }
    Properties ip = producerProps(bs, id + "-idempotent");
    ip.put("enable.idempotence", "true");
    ip.put("acks", "all");
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(ip)) {
      p.send(new ProducerRecord<>(topic, bytes("idem"), bytes("idempotent"))).get();
    }
    if (txn) {
      Properties tp = producerProps(bs, id + "-txn");
      tp.put("transactional.id", id + "-txn");
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(tp)) {
        p.initTransactions();
        p.beginTransaction();
        p.send(new ProducerRecord<>(topic, bytes("txn"), bytes("transactional")));
        p.commitTransaction();
      }
    }

    Properties cp = new Properties();
    cp.put("bootstrap.servers", bs);
    cp.put("client.id", id + "-consumer");
    cp.put("group.id", id + "-group");
    cp.put("auto.offset.reset", "earliest");
    cp.put("enable.auto.commit", "false");
    cp.put("heartbeat.interval.ms", "300");
    cp.put("session.timeout.ms", "10000");
    cp.put("fetch.max.wait.ms", "200");
    cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
    int n = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp)) {
      c.subscribe(Collections.singleton(topic));
      long deadline = System.currentTimeMillis() + 20000;
      while (n < 5 && System.currentTimeMillis() < deadline) {
        n += c.poll(200).count();
      }
      c.commitSync();
      long until = System.currentTimeMillis() + 1200; // heartbeats
      while (System.currentTimeMillis() < until) c.poll(200);
      TopicPartition tp0 = new TopicPartition(topic, 0);
      c.committed(tp0);
      c.beginningOffsets(Collections.singleton(tp0));
      c.endOffsets(Collections.singleton(tp0));
      c.offsetsForTimes(Collections.singletonMap(tp0, System.currentTimeMillis() - 60000));
    }
    System.out.println(id + ": consumed " + n);
    System.exit(n > 0 ? 0 : 1);
  }

  static Properties producerProps(String bs, String clientId) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bs);
    p.put("client.id", clientId);
    p.put("linger.ms", "5");
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    return p;
  }

  static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
