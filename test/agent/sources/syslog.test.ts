import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createSocket } from "node:dgram";
import { Context } from "../../../src/agent/api.js";
import { createSyslogTcpSource } from "../../../src/agent/sources/syslog-tcp.js";
import { createSyslogUdpSource } from "../../../src/agent/sources/syslog-udp.js";
import { createMultiportSyslogTcpSource } from "../../../src/agent/sources/syslog-multiport.js";
import { CollectingProcessor, env, waitFor } from "../io-helpers.js";

function send(port: number, data: Buffer | string, chunked = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", async () => {
      const buf = Buffer.from(data);
      if (chunked) {
        for (let i = 0; i < buf.length; i += 7) {
          s.write(buf.subarray(i, i + 7));
          await new Promise((r) => setImmediate(r));
        }
      } else s.write(buf);
      s.end();
    });
    s.on("error", reject);
    s.on("close", () => resolve());
  });
}

test("syslogtcp: newline and octet-counted frames over a real socket, split across writes", async () => {
  const src = createSyslogTcpSource("r1", Context.of({ host: "127.0.0.1", port: "0", clientIPHeader: "ip" }), env());
  const cp = new CollectingProcessor();
  src.setChannelProcessor(cp);
  await src.start();
  try {
    await send(
      src.boundPort,
      "<13>Oct 11 22:14:15 h1 first\n33 <165>1 - h2 app - - - second\nline\n<13>Oct 11 22:14:16 h1 third\n",
      true,
    );
    await waitFor(() => cp.events.length === 3, "3 events");
    assert.deepEqual(
      cp.events.map((e) => e.body.toString()),
      ["first", "app - - - second\nline", "third"],
    );
    assert.deepEqual(
      cp.events.map((e) => e.headers.host),
      ["h1", "h2", "h1"],
    );
    assert.equal(cp.events[1].headers.Facility, "20");
    assert.equal(cp.events[0].headers.ip, "127.0.0.1");
    assert.equal(src.counter.get("EventAcceptedCount"), 3);
  } finally {
    await src.stop();
  }
});

test(
  "syslogtcp: eventSize cuts long frames (Incomplete), " + "garbage is Invalid, a full channel drops and counts",
  async () => {
    const src = createSyslogTcpSource("r1", Context.of({ host: "127.0.0.1", port: "0", eventSize: "20" }), env());
    const cp = new CollectingProcessor();
    src.setChannelProcessor(cp);
    await src.start();
    try {
      await send(src.boundPort, "<13>Oct 11 22:14:15 host message\nhello world\n");
      await waitFor(() => cp.events.length >= 3, "events");
      assert.equal(cp.events[0].headers["flume.syslog.status"], "Incomplete");
      assert.equal(cp.events[0].body.length, 20);
      const invalid = cp.events.find((e) => e.body.toString() === "hello world");
      assert.equal(invalid?.headers["flume.syslog.status"], "Invalid");
      cp.full = true;
      const before = src.counter.get("ChannelWriteFail");
      await send(src.boundPort, "<13>x\n");
      await waitFor(() => src.counter.get("ChannelWriteFail") === before + 1, "a write failure");
      // the connection is still served afterwards
      cp.full = false;
      const n = cp.events.length;
      await send(src.boundPort, "<13>y\n");
      await waitFor(() => cp.events.length === n + 1, "the next event");
    } finally {
      await src.stop();
    }
  },
);

test("syslogtcp: config errors name the key", () => {
  assert.throws(() => createSyslogTcpSource("r1", Context.of({ port: "1" }), env()), /host is required/);
  assert.throws(
    () => createSyslogTcpSource("r1", Context.of({ host: "h", port: "x" }), env()),
    /port must be a port number/,
  );
});

test("syslogudp: one datagram, one event", async () => {
  const src = createSyslogUdpSource("r2", Context.of({ host: "127.0.0.1", port: "0", keepFields: "hostname" }), env());
  const cp = new CollectingProcessor();
  src.setChannelProcessor(cp);
  await src.start();
  const sock = createSocket("udp4");
  try {
    for (const m of [
      "<14>Jan  5 01:02:03 web1 hello udp\n",
      "<11>1 2024-01-05T01:02:03Z web2 app - - - five424",
      "bad",
    ]) {
      await new Promise<void>((resolve, reject) =>
        sock.send(m, src.boundPort, "127.0.0.1", (err) => (err ? reject(err) : resolve())),
      );
    }
    await waitFor(() => cp.events.length === 3, "3 datagrams");
    const byBody = new Map(cp.events.map((e) => [e.body.toString(), e]));
    assert.equal(byBody.get("web1 hello udp")?.headers.Severity, "6");
    assert.equal(byBody.get("web2 app - - - five424")?.headers.timestamp, String(Date.UTC(2024, 0, 5, 1, 2, 3)));
    assert.equal(byBody.get("bad")?.headers["flume.syslog.status"], "Invalid");
  } finally {
    sock.close();
    await src.stop();
  }
});

test("multiport_syslogtcp: two ports, portHeader, batches", async () => {
  const src = createMultiportSyslogTcpSource(
    "r3",
    Context.of({ host: "127.0.0.1", ports: "0 0", portHeader: "port", batchSize: "2" }),
    env(),
  );
  const cp = new CollectingProcessor();
  src.setChannelProcessor(cp);
  await src.start();
  try {
    const [p1, p2] = src.boundPorts;
    assert.notEqual(p1, p2);
    await send(p1, "<13>Oct 11 22:14:15 a one\n<13>Oct 11 22:14:15 a two\n<13>Oct 11 22:14:15 a three\n");
    await send(p2, "<13>Oct 11 22:14:15 b four\n");
    await waitFor(() => cp.events.length === 4, "4 events");
    const ports = Object.fromEntries(cp.events.map((e) => [e.body.toString(), e.headers.port]));
    assert.deepEqual(ports, { one: String(p1), two: String(p1), three: String(p1), four: String(p2) });
  } finally {
    await src.stop();
  }
  assert.throws(
    () => createMultiportSyslogTcpSource("r3", Context.of({ ports: "1 2", "charset.port.1": "ISO-8859-1" }), env()),
    /charset/,
  );
});
