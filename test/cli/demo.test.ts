/**
 * The demo's agent configuration: the article's shape, the source switched by flags. (The demo itself:
 * test/e2e/demo.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_AGENT_CONF, demoAgentProperties } from "../../src/cli/demo.js";
import { readAgentProperties } from "../../src/cli/pipeline/runner.js";
import { readPipeline } from "../../src/cli/pipeline/config.js";
import { parseAgentConfig } from "../../src/agent/config/config.js";
import { removeDir, tempDir } from "../helpers/broker.js";
import { registerBuiltins } from "../../src/agent/builtin.js";

registerBuiltins();

const get = (p: ReturnType<typeof demoAgentProperties>, k: string) => p.map.get(k)?.value;

test("the shipped agent config: tweets source, Kafka channel into topic twitter, no sink", () => {
  const base = readAgentProperties(DEMO_AGENT_CONF);
  const p = demoAgentProperties(base, { source: ["tweets"], rate: 250, bootstrap: "127.0.0.1:1234" });
  assert.equal(get(p, "TwitterAgent.sources.Twitter.type"), "tweets");
  assert.equal(get(p, "TwitterAgent.sources.Twitter.eventsPerSecond"), "250");
  assert.equal(get(p, "TwitterAgent.channels.KafkaChannel.kafka.topic"), "twitter");
  assert.equal(get(p, "TwitterAgent.channels.KafkaChannel.kafka.bootstrap.servers"), "127.0.0.1:1234");
  assert.equal(get(p, "TwitterAgent.sinks"), "");
  const cfg = parseAgentConfig(p, "TwitterAgent");
  assert.deepEqual(
    cfg.sources.map((s) => s.name),
    ["Twitter"],
  );
  assert.deepEqual(
    cfg.channels.map((c) => c.name),
    ["KafkaChannel"],
  );
});

test("--source replay FILE swaps the source and keeps its channel; a bad --source is refused", () => {
  const dir = tempDir();
  try {
    const file = join(dir, "t.jsonl");
    writeFileSync(file, "{}\n");
    const base = readAgentProperties(DEMO_AGENT_CONF);
    const p = demoAgentProperties(base, { source: ["replay", file], rate: 100, bootstrap: "x:1" });
    assert.equal(get(p, "TwitterAgent.sources.Twitter.type"), "replay");
    assert.equal(get(p, "TwitterAgent.sources.Twitter.file"), file);
    assert.equal(get(p, "TwitterAgent.sources.Twitter.channels"), "KafkaChannel");
    assert.equal(
      get(p, "TwitterAgent.sources.Twitter.eventsPerSecond"),
      undefined,
      "the tweets source's keys are gone",
    );
    assert.throws(() => demoAgentProperties(base, { source: ["replay"], rate: 1, bootstrap: "x:1" }), /needs a file/);
    assert.throws(
      () => demoAgentProperties(base, { source: ["kafka"], rate: 1, bootstrap: "x:1" }),
      /must be tweets, replay FILE, twitter or jetstream/,
    );
  } finally {
    removeDir(dir);
  }
});

test("examples/demo/pipeline.yaml is a valid pipeline file", () => {
  const p = readPipeline("examples/demo/pipeline.yaml");
  assert.equal(p.agents[0]!.name, "TwitterAgent");
  assert.match(p.apps[0]!.module, /examples\/demo\/trending-sentiment\.ts$/);
});
