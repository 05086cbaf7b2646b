import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { escapeString, needsTime, roundDown } from "../../../../src/agent/sinks/hdfs/bucket-path.js";

// 2024-03-05 14:07:09.123 UTC, a Tuesday
const ts = Date.UTC(2024, 2, 5, 14, 7, 9, 123);
const h = { timestamp: String(ts), host: "web1" };
const utc = { timeZone: "UTC" };

test("every Flume time escape", () => {
  const cases: [string, string][] = [
    ["%t", String(ts)],
    ["%s", String(Math.floor(ts / 1000))],
    ["%a", "Tue"],
    ["%A", "Tuesday"],
    ["%b", "Mar"],
    ["%B", "March"],
    ["%c", "Tue Mar 5 14:07:09 2024"],
    ["%d", "05"],
    ["%e", "5"],
    ["%D", "03/05/24"],
    ["%H", "14"],
    ["%I", "02"],
    ["%j", "065"],
    ["%k", "14"],
    ["%l", "2"],
    ["%m", "03"],
    ["%n", "3"],
    ["%M", "07"],
    ["%p", "PM"],
    ["%S", "09"],
    ["%y", "24"],
    ["%Y", "2024"],
    ["%z", "+0000"],
  ];
  for (const [esc, want] of cases) assert.equal(escapeString(esc, h, utc), want, esc);
  assert.equal(escapeString("/flume/%Y/%m/%d/%H/", h, utc), "/flume/2024/03/05/14/");
});

test("time zones, headers, host escapes", () => {
  assert.equal(escapeString("%H:%M %z", h, { timeZone: "Asia/Kolkata" }), "19:37 +0530");
  assert.equal(escapeString("%H %z", h, { timeZone: "America/New_York" }), "09 -0500");
  assert.equal(escapeString("/logs/%{host}/%{missing}x", h, utc), "/logs/web1/x");
  assert.equal(escapeString("%[localhost]", {}, utc), hostname());
  assert.match(escapeString("%[IP]", {}, utc), /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(needsTime("/a/%{host}/%[IP]"), false);
  assert.equal(needsTime("/a/%Y"), true);
});

test("rounding down and the local clock", () => {
  assert.equal(roundDown(ts, 10, "minute", "UTC"), Date.UTC(2024, 2, 5, 14, 0, 0));
  assert.equal(roundDown(ts, 5, "second", "UTC"), Date.UTC(2024, 2, 5, 14, 7, 5));
  assert.equal(roundDown(ts, 6, "hour", "UTC"), Date.UTC(2024, 2, 5, 12, 0, 0));
  assert.equal(escapeString("%H%M", h, { ...utc, round: true, roundValue: 15, roundUnit: "minute" }), "1400");
  assert.equal(escapeString("%Y", {}, { ...utc, useLocalTimeStamp: true, now: () => ts }), "2024");
});

test("a missing or bad timestamp header fails like Flume", () => {
  assert.throws(() => escapeString("/a/%Y", {}, utc), { code: "MR_AGENT_HDFS_TIMESTAMP" });
  assert.throws(() => escapeString("/a/%Y", { timestamp: "soon" }, utc), { code: "MR_AGENT_HDFS_TIMESTAMP" });
  assert.equal(escapeString("/a/%{x}", {}, utc), "/a/");
});
