// Parses syslog messages with Flume's own SyslogUtils (flume-ng-core), for
// test/interop/agent-syslog-flume.test.ts. Args: <keepFields> <eventSize>.
// Stdin: one message per line, base64. Stdout: per message one line,
// "<headers as k=v joined by \t, sorted>|<body base64>".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import io.netty.buffer.Unpooled;
import org.apache.flume.Event;
import org.apache.flume.source.SyslogUtils;

public class FlumeSyslogParse {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    String line;
    while ((line = in.readLine()) != null) {
      byte[] msg = Base64.getDecoder().decode(line);
      byte[] framed = new byte[msg.length + 1];
      System.arraycopy(msg, 0, framed, 0, msg.length);
      framed[msg.length] = '\n';
      SyslogUtils u = new SyslogUtils(Integer.parseInt(args[1]), SyslogUtils.chooseFieldsToKeep(args[0]), false);
      Event e = u.extractEvent(Unpooled.wrappedBuffer(framed));
      StringBuilder sb = new StringBuilder();
      for (Map.Entry<String, String> h : new TreeMap<>(e.getHeaders()).entrySet()) {
        if (sb.length() > 0) sb.append('\t');
        sb.append(h.getKey()).append('=').append(h.getValue());
      }
      System.out.println(sb + "|" + Base64.getEncoder().encodeToString(e.getBody()));
    }
  }
}
