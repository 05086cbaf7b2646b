import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePipeline } from "../../../src/cli/pipeline/config.js";

const good = `
broker:
  data.dir: ./data
  topics:
    - { name: twitter, partitions: 2 }
agents:
  - name: TwitterAgent
    conf-file: agents/twitter.conf
apps:
  - module: apps/tags.ts
    args: [--window, 60]
ui:
  port: 4041
`;

test("pipeline: a good file parses with defaults and paths resolved against its folder", () => {
  const p = parsePipeline(good, "/srv/pipe/pipeline.yaml");
  assert.equal(p.broker["data.dir"], "/srv/pipe/data");
  assert.deepEqual(p.broker.topics, [{ name: "twitter", partitions: 2 }]);
  assert.equal(p.agents[0]["conf-file"], "/srv/pipe/agents/twitter.conf");
  assert.equal(p.apps[0].module, "/srv/pipe/apps/tags.ts");
  assert.equal(p.apps[0].master, "local[2]");
  assert.deepEqual(p.apps[0].args, ["--window", "60"]);
  assert.deepEqual(p.ui, { enabled: true, port: 4041, host: "127.0.0.1" });
  const empty = parsePipeline("", "e.yaml");
  assert.deepEqual(empty.agents, []);
  assert.equal(empty.ui.port, 4040);
});

test("pipeline: errors name file:line and key", () => {
  const cases: [string, RegExp][] = [
    ["broker:\n  embeded: true\n", /^p\.yaml:2: broker\.embeded: is not a known setting$/],
    ["agents:\n  - name: a\n    conf-file: x\n  - name: b\n", /^p\.yaml:4: agents\[1\]\.conf-file: /],
    ["ui:\n  port: lots\n", /^p\.yaml:2: ui\.port: /],
    [
      "apps:\n  - module: m.ts\n    master: yarn\n",
      /^p\.yaml:3: apps\[0\]\.master: must be local, local\[N\] or local\[\*\]$/,
    ],
    [
      "broker:\n  bootstrap.servers: k:9092\n  data.dir: d\n",
      /^p\.yaml:3: broker\.data\.dir: only applies to the embedded broker/,
    ],
    ["broker: [unclosed\n", /^p\.yaml:\d+: not valid YAML/],
    ["unknown: 1\n", /^p\.yaml:1: unknown: is not a known setting$/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parsePipeline(text, "p.yaml"),
      (e: { code?: string; message: string }) => {
        assert.equal(e.code, "MR_CONFIG_INVALID");
        assert.match(e.message, re);
        return true;
      },
    );
  }
});
