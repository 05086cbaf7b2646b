import { test } from "node:test";
import assert from "node:assert/strict";
import {
  LONG_MAX_STRING,
  LogError,
  TOPIC_CONFIG_NAMES,
  configValueString,
  defaultLogConfig,
  hasCleanupPolicy,
  parseConfigValue,
  resolveDefaults,
  resolveTopicConfig,
} from "../../src/log/index.js";

const invalid = (e: unknown) => e instanceof LogError && e.code === "MR_LOG_INVALID_CONFIG";

test("Kafka's defaults", () => {
  const d = defaultLogConfig();
  assert.equal(d["segment.bytes"], 1073741824);
  assert.equal(d["segment.ms"], 604800000);
  assert.equal(d["retention.ms"], 604800000);
  assert.equal(d["retention.bytes"], -1);
  assert.equal(d["index.interval.bytes"], 4096);
  assert.equal(d["segment.index.bytes"], 10485760);
  assert.equal(d["max.message.bytes"], 1048588);
  assert.equal(d["cleanup.policy"], "delete");
  assert.equal(d["message.timestamp.type"], "CreateTime");
  assert.equal(d["file.delete.delay.ms"], 60000);
  assert.equal(configValueString(d, "flush.messages"), LONG_MAX_STRING);
  assert.equal(configValueString(d, "flush.ms"), LONG_MAX_STRING);
  for (const name of TOPIC_CONFIG_NAMES) assert.notEqual(d[name], undefined, name);
});

test("values are parsed and validated like Kafka's ConfigDef", () => {
  assert.equal(parseConfigValue("retention.ms", " -1 "), -1);
  assert.equal(parseConfigValue("preallocate", "TRUE"), true);
  assert.equal(parseConfigValue("min.cleanable.dirty.ratio", "0.25"), 0.25);
  assert.equal(parseConfigValue("cleanup.policy", "compact, delete"), "compact,delete");
  assert.throws(() => parseConfigValue("retention.ms", "-2"), invalid);
  assert.throws(() => parseConfigValue("retention.ms", "1.5"), invalid);
  assert.throws(() => parseConfigValue("segment.bytes", "4294967296"), invalid, "int overflow");
  assert.throws(() => parseConfigValue("min.cleanable.dirty.ratio", "2"), invalid);
  assert.throws(() => parseConfigValue("message.timestamp.type", "Now"), invalid);
  assert.throws(() => parseConfigValue("preallocate", "yes"), invalid);
  assert.throws(() => parseConfigValue("log.retention.hours", "1"), invalid, "broker keys are not topic keys");
});

test("resolution: Kafka defaults < manager defaults < topic overrides", () => {
  const base = resolveDefaults({ "retention.ms": 1000, "segment.bytes": 5000 });
  const { overrides, config } = resolveTopicConfig(base, { "segment.bytes": " 7000 ", "cleanup.policy": "compact" });
  assert.deepEqual(overrides, { "segment.bytes": "7000", "cleanup.policy": "compact" });
  assert.equal(config["retention.ms"], 1000);
  assert.equal(config["segment.bytes"], 7000);
  assert.ok(hasCleanupPolicy(config, "compact"));
  assert.ok(!hasCleanupPolicy(config, "delete"));
  assert.throws(() => resolveDefaults({ "segment.bytes": -5 }), invalid);
});
