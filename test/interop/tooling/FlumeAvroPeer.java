// Real Apache Flume on the other end of millrace's Avro RPC (run by
// test/interop/agent-avro-flume.test.ts with Flume's lib/ on the class path):
//   client <host> <port> <events> <batch>  Flume's NettyAvroRpcClient sends events
//                                          (bodies e<i>, header i=<i>) with appendBatch,
//                                          then one with append; prints "SENT <n>"
//   server <port>                          Flume's AvroSource feeding a MemoryChannel;
//                                          prints "LISTENING", then one line per event:
//                                          EVENT <header i> <body, base64>
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flume.Context;
import org.apache.flume.Event;
import org.apache.flume.Transaction;
import org.apache.flume.api.RpcClient;
import org.apache.flume.api.RpcClientFactory;
import org.apache.flume.channel.ChannelProcessor;
import org.apache.flume.channel.MemoryChannel;
import org.apache.flume.channel.ReplicatingChannelSelector;
import org.apache.flume.conf.Configurables;
import org.apache.flume.event.EventBuilder;
import org.apache.flume.source.AvroSource;

public class FlumeAvroPeer {
  public static void main(String[] args) throws Exception {
    if (args[0].equals("client")) client(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
    else server(Integer.parseInt(args[1]));
  }

  static Event ev(int i) {
    Map<String, String> h = new HashMap<>();
    h.put("i", Integer.toString(i));
    return EventBuilder.withBody(("e" + i).getBytes(StandardCharsets.UTF_8), h);
  }

  static void client(String host, int port, int n, int batch) throws Exception {
    RpcClient c = RpcClientFactory.getDefaultInstance(host, port, batch);
    try {
      List<Event> events = new ArrayList<>();
      for (int i = 0; i < n - 1; i++) events.add(ev(i));
      c.appendBatch(events);
      c.append(ev(n - 1));
      System.out.println("SENT " + n);
    } finally {
      c.close();
    }
  }

  static void server(int port) throws Exception {
    MemoryChannel ch = new MemoryChannel();
    ch.setName("c1");
    Context cc = new Context();
    cc.put("capacity", "100000");
    cc.put("transactionCapacity", "10000");
    Configurables.configure(ch, cc);
    ch.start();
    ReplicatingChannelSelector sel = new ReplicatingChannelSelector();
    sel.setChannels(List.of(ch));
    AvroSource src = new AvroSource();
    src.setName("r1");
    Context sc = new Context();
    sc.put("bind", "127.0.0.1");
    sc.put("port", Integer.toString(port));
    Configurables.configure(src, sc);
    src.setChannelProcessor(new ChannelProcessor(sel));
    src.start();
    System.out.println("LISTENING");
    System.out.flush();
    while (true) {
      Transaction tx = ch.getTransaction();
      tx.begin();
      Event e = ch.take();
      if (e != null) {
        System.out.println("EVENT " + e.getHeaders().get("i") + " " + Base64.getEncoder().encodeToString(e.getBody()));
        System.out.flush();
      }
      tx.commit();
      tx.close();
      if (e == null) Thread.sleep(20);
    }
  }
}
