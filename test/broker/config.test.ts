import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadBrokerConfig, describeIgnored } from "../../src/broker/config.js";
import { ConfigError } from "../../src/errors.js";
import { tempDir, removeDir } from "../helpers/broker.js";

test("defaults: loopback only, Kafka's defaults, ./millrace-data", () => {
  const c = loadBrokerConfig();
  assert.deepEqual(c.listeners, [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092, securityProtocol: "PLAINTEXT" }]);
  assert.equal(c.logDir, "./millrace-data");
  assert.equal(c.numPartitions, 1);
  assert.equal(c.autoCreateTopics, true);
  assert.equal(c.messageMaxBytes, 1048588);
  assert.equal(c.topicDefaults["retention.ms"], String(168 * 3600_000));
  assert.equal(c.topicDefaults["segment.bytes"], "1073741824");
});

test("server.properties then --override, with retention hours/minutes/ms precedence", () => {
  const dir = tempDir();
  const file = join(dir, "server.properties");
  writeFileSync(
    file,
    [
      "listeners=PLAINTEXT://0.0.0.0:9093",
      "advertised.listeners=PLAINTEXT://kafka.example:9093",
      "log.dirs=/data/a,/data/b",
      "num.partitions=3",
      "log.retention.hours=1",
      "zookeeper.connect=localhost:2181",
      "some.unknown.key=1",
    ].join("\n"),
  );
  const c = loadBrokerConfig({ file, overrides: ["num.partitions=5", "log.retention.minutes=2"] });
  assert.equal(c.numPartitions, 5);
  assert.equal(c.logDir, "/data/a");
  assert.deepEqual(c.advertised.get("PLAINTEXT"), { host: "kafka.example", port: 9093 });
  assert.equal(c.topicDefaults["retention.ms"], "120000");
  const notes = describeIgnored(c);
  assert.ok(
    notes.some((n) => n.includes("server.properties:6: zookeeper.connect: has no effect")),
    notes.join("\n"),
  );
  assert.ok(
    notes.some((n) => n.includes("server.properties:7: some.unknown.key: is not supported")),
    notes.join("\n"),
  );
  assert.ok(notes.some((n) => n.includes("log.dirs")));
  removeDir(dir);
});

test("a bad value names file, line and key", () => {
  const dir = tempDir();
  const file = join(dir, "server.properties");
  writeFileSync(file, "# comment\nnum.partitions=3\nlog.segment.bytes=lots\n");
  assert.throws(
    () => loadBrokerConfig({ file }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.code === "MR_CONFIG_INVALID" &&
      e.message.startsWith(`${file}:3: log.segment.bytes:`),
  );
  assert.throws(
    () => loadBrokerConfig({ overrides: ["auto.create.topics.enable=maybe"] }),
    /--override #1:1: auto.create.topics.enable/,
  );
  // a listener name without a security protocol (listener.security.protocol.map)
  assert.throws(
    () => loadBrokerConfig({ overrides: ["listeners=INTERNAL://:9093"] }),
    /--override #1:1: listeners: listener INTERNAL has no security protocol in listener.security.protocol.map/,
  );
  assert.throws(() => loadBrokerConfig({ overrides: ["num.partitions"] }), /not key=value/);
  removeDir(dir);
});
