import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SyslogFramer,
  chooseFieldsToKeep,
  parseRfc3164Stamp,
  parseRfc5424Stamp,
  syslogEvent,
} from "../../../src/agent/syslog/parser.js";

const b = (s: string) => Buffer.from(s);

test("RFC 5424: priority, version, stamp with zone, host; body after the host", () => {
  const e = syslogEvent(
    b(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 " +
        'iut="3"] An application event',
    ),
  );
  assert.equal(e.headers.Facility, "20");
  assert.equal(e.headers.Severity, "5");
  assert.equal(e.headers.priority, "165");
  assert.equal(e.headers.version, "1");
  assert.equal(e.headers.timestamp, String(Date.UTC(2003, 9, 11, 22, 14, 15, 3)));
  assert.equal(e.headers.host, "mymachine.example.com");
  assert.equal(e.body.toString(), 'evntslog - ID47 [exampleSDID@32473 iut="3"] An application event');
  assert.equal(e.headers["flume.syslog.status"], undefined);
});

test("RFC 5424 stamps: offsets, microseconds, nil stamp and nil host", () => {
  assert.equal(parseRfc5424Stamp("2003-08-24T05:14:15.000003-07:00"), Date.UTC(2003, 7, 24, 12, 14, 15, 0));
  assert.equal(parseRfc5424Stamp("2012-04-13T11:11:11+02:00"), Date.UTC(2012, 3, 13, 9, 11, 11));
  assert.equal(parseRfc5424Stamp("2012-04-13T11:11:11.5Z"), Date.UTC(2012, 3, 13, 11, 11, 11, 500));
  assert.equal(parseRfc5424Stamp("2012-04-13T11:11:11"), new Date(2012, 3, 13, 11, 11, 11).getTime());
  assert.equal(parseRfc5424Stamp("2012-13-13T11:11:11Z"), undefined);
  const e = syslogEvent(b("<13>1 - - app - - - hello"));
  assert.equal(e.headers.timestamp, undefined);
  assert.equal(e.headers.host, undefined);
  assert.equal(e.body.toString(), "app - - - hello");
});

test("RFC 3164: stamp in the local zone with the year inferred, host, body", () => {
  const now = new Date(2024, 5, 15, 12, 0, 0).getTime();
  const e = syslogEvent(b("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"), {
    now: () => now,
  });
  assert.equal(e.headers.Facility, "4");
  assert.equal(e.headers.Severity, "2");
  assert.equal(e.headers.host, "mymachine");
  // October is more than a month ahead of June: last year's
  assert.equal(e.headers.timestamp, String(new Date(2023, 9, 11, 22, 14, 15).getTime()));
  assert.equal(e.body.toString(), "su: 'su root' failed for lonvick on /dev/pts/8");
  // single-digit day with two spaces, within the window: this year
  const f = syslogEvent(b("<13>Jun  3 01:02:03 host1 msg"), { now: () => now });
  assert.equal(f.headers.timestamp, String(new Date(2024, 5, 3, 1, 2, 3).getTime()));
  // near New Year: a December stamp read on January 2nd is last year's
  const jan = new Date(2025, 0, 2).getTime();
  assert.equal(parseRfc3164Stamp("Dec 31 23:59:59", jan), new Date(2024, 11, 31, 23, 59, 59).getTime());
  // a January stamp read on December 31st is next year's
  const dec = new Date(2024, 11, 31).getTime();
  assert.equal(parseRfc3164Stamp("Jan  1 00:00:01", dec), new Date(2025, 0, 1, 0, 0, 1).getTime());
});

test("malformed priority: Invalid status, Facility/Severity 0, raw body", () => {
  for (const raw of ["no priority here", "<>empty", "<1a3>x", "<1234>too long", ""]) {
    const e = syslogEvent(b(raw));
    assert.equal(e.headers["flume.syslog.status"], "Invalid", raw);
    assert.equal(e.headers.Facility, "0");
    assert.equal(e.headers.Severity, "0");
    assert.equal(e.body.toString(), raw);
  }
  // a good priority with an unrecognised rest is valid, body is the raw message
  const e = syslogEvent(b("<13>just text"));
  assert.equal(e.headers["flume.syslog.status"], undefined);
  assert.equal(e.headers.Severity, "5");
  assert.equal(e.body.toString(), "<13>just text");
});

test("keepFields: none, all, and a list", () => {
  const raw = "<165>1 2003-10-11T22:14:15.003Z host1 app msg";
  assert.equal(chooseFieldsToKeep("none"), null);
  assert.equal(chooseFieldsToKeep("false"), null);
  assert.equal(chooseFieldsToKeep("true"), "all");
  assert.equal(syslogEvent(b(raw), { keepFields: chooseFieldsToKeep("all") }).body.toString(), raw);
  assert.equal(
    syslogEvent(b(raw), { keepFields: chooseFieldsToKeep("timestamp hostname") }).body.toString(),
    "2003-10-11T22:14:15.003Z host1 app msg",
  );
  assert.equal(
    syslogEvent(b(raw), { keepFields: chooseFieldsToKeep("priority version") }).body.toString(),
    "<165>1 app msg",
  );
  const all = syslogEvent(b(raw), { keepFields: chooseFieldsToKeep("all") });
  assert.equal(all.headers.host, "host1", "headers are set whatever is kept");
});

test("framer: newline frames, octet counting, split chunks, eventSize cut", () => {
  const f = new SyslogFramer(2500);
  assert.deepEqual(
    f.push(b("<13>one\n<13>tw")).map((m) => m.raw.toString()),
    ["<13>one"],
  );
  assert.deepEqual(
    f.push(b("o\n\n")).map((m) => m.raw.toString()),
    ["<13>two"],
  );
  assert.deepEqual(
    f.push(b("10 <13>a\nb c")).map((m) => m.raw.toString()),
    [],
  );
  assert.deepEqual(
    f.push(b("d10 <13>x y zw")).map((m) => m.raw.toString()),
    ["<13>a\nb cd", "<13>x y zw"],
  );
  assert.equal(f.pending(), 0);
  const small = new SyslogFramer(10);
  const out = small.push(b("<13>0123456789abc\n"));
  assert.deepEqual(
    out.map((m) => [m.raw.toString(), m.incomplete]),
    [
      ["<13>012345", true],
      ["6789abc", false],
    ],
  );
  const ev = syslogEvent(out[0].raw, {}, out[0].incomplete);
  assert.equal(ev.headers["flume.syslog.status"], "Incomplete");
});
