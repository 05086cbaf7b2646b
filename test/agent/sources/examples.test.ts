/**
 * The example agent configs' Twitter source, built from the files themselves
 * with apiBaseUrl pointed at a local X API v2: every key is understood and
 * tweets flow. (The whole agent with its sink and Kafka channel is run by the
 * agent runtime's e2e tests.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import pino from "pino";
import { Context } from "../../../src/agent/api.js";
import { parseProperties, type PropertyEntry } from "../../../src/formats/properties.js";
import { findSource, sources } from "../../../src/agent/registry.js";
import { registerBuiltins } from "../../../src/agent/builtin.js";
import { CollectingProcessor, waitFor } from "../helpers/collecting-processor.js";
import { fakeX, steady, tweet } from "../helpers/fake-x.js";

registerBuiltins();

const logger = pino({ level: process.env.MILLRACE_TEST_LOG ?? "silent" });

function sourceContext(file: string, prefix: string, overrides: Record<string, string>): Context {
  const props = parseProperties(readFileSync(file, "utf8"), file);
  const m = new Map<string, PropertyEntry>();
  for (const e of props.entries) if (e.key.startsWith(prefix + ".")) m.set(e.key.slice(prefix.length + 1), e);
  for (const [k, v] of Object.entries(overrides))
    m.set(k, { key: `${prefix}.${k}`, value: v, file: "<test>", line: 0 });
  return new Context(prefix, m);
}

describe("example Twitter agent configs", () => {
  for (const file of [
    "examples/article-logger.conf",
    "examples/article-hdfs.conf",
    "examples/article-kafka-channel.conf",
    "examples/twitter-kafka-channel.conf",
  ]) {
    it(`${file}: the Twitter source runs against a local v2 API`, async () => {
      const x = await fakeX([steady([tweet(1), tweet(2), tweet(3)])]);
      const ctx = sourceContext(file, "TwitterAgent.sources.Twitter", {
        consumerKey: "ck",
        consumerSecret: "cs",
        apiBaseUrl: x.url,
      });
      const type = ctx.getString("type")!;
      ctx.markUsed("channels");
      const reg = findSource(type);
      assert.ok(reg, `source type ${type} is registered`);
      assert.equal(sources.filter((s) => s.alias === "twitter").length, 1);
      const src = reg.factory("Twitter", ctx, { agentName: "TwitterAgent", logger });
      assert.deepEqual(ctx.unusedKeys(), [], "every key of the example is understood");
      const cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      try {
        await src.start();
        await waitFor(() => cp.events.length === 3, "3 tweets");
        assert.equal(x.tokenCalls, 1);
        assert.ok(x.rules.some((r) => r.value === "big data"));
      } finally {
        await src.stop();
        await x.close();
      }
    });
  }
});
