import { test } from "node:test";
import assert from "node:assert/strict";
import { registerBuiltins } from "../../src/agent/builtin.js";
import {
  channels,
  findChannel,
  findSource,
  interceptors,
  selectors,
  sinkProcessors,
  sinks,
  sources,
} from "../../src/agent/registry.js";

test("registerBuiltins fills the registry once, by alias and by Flume class name; a second call adds nothing", () => {
  registerBuiltins();
  const sizes = [sources, channels, sinks, interceptors, selectors, sinkProcessors].map((l) => l.length);
  assert.ok(
    sizes.every((n) => n > 0),
    `sizes ${sizes.join(",")}`,
  );
  assert.equal(findChannel("file"), findChannel("org.apache.flume.channel.file.FileChannel"));
  assert.ok(findSource("TAILDIR") && findSource("netcat"));
  registerBuiltins();
  assert.deepEqual(
    [sources, channels, sinks, interceptors, selectors, sinkProcessors].map((l) => l.length),
    sizes,
  );
  const aliases = sources.map((r) => r.alias.toLowerCase());
  assert.equal(new Set(aliases).size, aliases.length, "no source registered twice");
});
