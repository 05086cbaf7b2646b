import { test } from "node:test";
import assert from "node:assert/strict";
import { counter, exposition, gauge } from "../../src/metrics/registry.js";

test("metrics: counters are shared by name and exposed in Prometheus text", async () => {
  const a = counter("millrace_test_events_total", "events", ["component"]);
  const b = counter("millrace_test_events_total", "events", ["component"]);
  assert.equal(a, b);
  a.inc({ component: "r1" }, 3);
  gauge("millrace_test_fill", "fill", ["component"]).set({ component: "c1" }, 0.5);
  const { body, contentType } = await exposition();
  assert.match(contentType, /text\/plain/);
  assert.match(body, /millrace_test_events_total\{component="r1"\} 3/);
  assert.match(body, /millrace_test_fill\{component="c1"\} 0.5/);
});
