// Flume 1.11's own KafkaChannel against a broker, for
// test/interop/agent-kafka-channel-flume.test.ts. Args:
//   put  <bootstrap> <topic> <n>    puts events (body f<i>, header i=<i>) in one transaction; prints "PUT <n>"
//   take <bootstrap> <topic> <n>    takes n events (group flume-java, earliest); prints
//                                   "EVENT <header i> <body base64>" per event, then "TOOK <n>"
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.flume.Context;
import org.apache.flume.Event;
import org.apache.flume.Transaction;
import org.apache.flume.channel.kafka.KafkaChannel;
import org.apache.flume.conf.Configurables;
import org.apache.flume.event.EventBuilder;

public class FlumeKafkaChannelPeer {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    int n = Integer.parseInt(args[3]);
    KafkaChannel ch = new KafkaChannel();
    ch.setName("c1");
    Context c = new Context();
    c.put("kafka.bootstrap.servers", args[1]);
    c.put("kafka.topic", args[2]);
    c.put("kafka.consumer.group.id", "flume-java");
    c.put("kafka.consumer.auto.offset.reset", "earliest");
    c.put("parseAsFlumeEvent", "true");
    Configurables.configure(ch, c);
    ch.start();
    try {
      if (mode.equals("put")) {
        Transaction tx = ch.getTransaction();
        tx.begin();
        for (int i = 0; i < n; i++) {
          Map<String, String> h = new HashMap<>();
          h.put("i", Integer.toString(i));
          ch.put(EventBuilder.withBody(("f" + i).getBytes(StandardCharsets.UTF_8), h));
        }
        tx.commit();
        tx.close();
        System.out.println("PUT " + n);
      } else {
        int got = 0;
        long deadline = System.currentTimeMillis() + 90_000;
        while (got < n && System.currentTimeMillis() < deadline) {
          Transaction tx = ch.getTransaction();
          tx.begin();
          Event e = ch.take();
          if (e != null) {
            System.out.println("EVENT " + e.getHeaders().get("i") + " " + Base64.getEncoder().encodeToString(e.getBody()));
            got++;
          }
          tx.commit();
          tx.close();
        }
        System.out.println("TOOK " + got);
      }
      System.out.flush();
    } finally {
      ch.stop();
    }
    System.exit(0);
  }
}
