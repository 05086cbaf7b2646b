// Checks every fixture in test/fixtures/protocol/manifest.json with Apache Kafka's own parsers
// (kafka-clients of the pinned broker release): the request header and body, the response header
// and body must parse and use up every byte, and the manifest's header versions must be the ones
// Kafka itself uses for that api and version.
//
//   test/interop/tooling/kafka.sh run scripts/capture/VerifyFixtures.java test/fixtures/protocol
//
// (The java launcher compiles this single file on the fly.) The manifest is read with a tiny
// ad-hoc parser, so that no JSON library is needed.
import java.nio.ByteBuffer;
import java.nio.file.*;
import java.util.*;
import java.util.regex.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.*;

public class VerifyFixtures {
  public static void main(String[] args) throws Exception {
    Path dir = Paths.get(args.length > 0 ? args[0] : "test/fixtures/protocol");
    String json = new String(Files.readAllBytes(dir.resolve("manifest.json")), "UTF-8");
    Matcher obj = Pattern.compile("\\{[^{}]*\\}").matcher(json);
    int ok = 0, failed = 0;
    while (obj.find()) {
      String o = obj.group();
      int apiKey = Integer.parseInt(field(o, "apiKey"));
      short version = Short.parseShort(field(o, "apiVersion"));
      String request = field(o, "request");
      String response = field(o, "response");
      int reqHv = Integer.parseInt(field(o, "requestHeaderVersion"));
      int respHv = Integer.parseInt(field(o, "responseHeaderVersion"));
      try {
        ApiKeys api = ApiKeys.forId(apiKey);
        expect(api.requestHeaderVersion(version) == reqHv, "request header version " + reqHv + " but Kafka uses " + api.requestHeaderVersion(version));
        expect(api.responseHeaderVersion(version) == respHv, "response header version " + respHv + " but Kafka uses " + api.responseHeaderVersion(version));
        ByteBuffer rb = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(request)));
        RequestHeader h = RequestHeader.parse(rb);
        expect(h.apiKey() == api && h.apiVersion() == version, "request header names " + h.apiKey() + " v" + h.apiVersion());
        AbstractRequest.parseRequest(api, version, rb);
        expect(!rb.hasRemaining(), rb.remaining() + " request bytes left over");
        if (response != null) {
          ByteBuffer sb = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(response)));
          ResponseHeader rh = ResponseHeader.parse(sb, (short) respHv);
          expect(rh.correlationId() == h.correlationId(), "correlation ids differ");
          AbstractResponse.parseResponse(api, sb, version);
          expect(!sb.hasRemaining(), sb.remaining() + " response bytes left over");
        }
        ok++;
      } catch (Throwable t) {
        failed++;
        System.out.println("FAIL " + request + ": " + t);
      }
    }
    System.out.println("verify-fixtures: " + ok + " passed, " + failed + " failed");
    System.exit(failed == 0 && ok > 0 ? 0 : 1);
  }

  static String field(String o, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"([^\"]*)\"|[-0-9]+|null)").matcher(o);
    if (!m.find()) throw new IllegalArgumentException("no " + name + " in " + o);
    if (m.group(1).equals("null")) return null;
    return m.group(2) != null ? m.group(2) : m.group(1);
  }

  static void expect(boolean cond, String msg) {
    if (!cond) throw new AssertionError(msg);
  }
}
