import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, rmdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Context, event } from "../../../src/agent/api.js";
import { createFileRollSink, RollingFileSink } from "../../../src/agent/sinks/file-roll.js";
import { readAvroEvents } from "../../../src/agent/sinks/serializers.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { ListChannel, waitFor } from "../helpers/channel.js";

const env = { agentName: "a1", logger: pino({ level: "silent" }) };

test("file_roll TEXT: bodies + newline, Flume file names, batches committed after write", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  for (let i = 0; i < 250; i++) ch.queue.push(event(`line ${i}`));
  const sink = createFileRollSink(
    "k1",
    Context.of({
      "sink.directory": dir,
      "sink.rollInterval": "0",
      "sink.batchSize": "100",
      "sink.pathManager.prefix": "ev-",
      "sink.pathManager.extension": "log",
    }),
    env,
  );
  sink.setChannel(ch);
  sink.start();
  try {
    assert.equal(await sink.process(), "READY");
    assert.equal(ch.size(), 150);
    assert.equal(await sink.process(), "READY");
    assert.equal(await sink.process(), "READY");
    assert.equal(await sink.process(), "BACKOFF");
    assert.equal(ch.size(), 0);
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^ev-\d{13}-1\.log$/);
    const lines = readFileSync(join(dir, files[0]!), "utf8").split("\n");
    assert.equal(lines.length, 251);
    assert.equal(lines[0], "line 0");
    assert.equal(lines[249], "line 249");
    assert.equal(sink.counter.get("EventDrainSuccessCount"), 250);
    assert.equal(sink.counter.get("BatchCompleteCount"), 2);
  } finally {
    await sink.stop();
    removeDir(dir);
  }
});

test("file_roll rolls to a new file every rollInterval", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  const sink = new RollingFileSink("k1", { directory: dir, rollInterval: 1 });
  sink.setChannel(ch);
  sink.start();
  try {
    ch.queue.push(event("first"));
    await sink.process();
    await waitFor(async () => {
      ch.queue.push(event("more"));
      await sink.process();
      return sink.files.length >= 2;
    }, "a second file");
    const names = readdirSync(dir).sort((a, b) => Number(a.split("-")[1]) - Number(b.split("-")[1]));
    assert.ok(names.length >= 2);
    assert.match(names[1]!, /-2$/);
    assert.equal(readFileSync(join(dir, names[0]!), "utf8").split("\n")[0], "first");
  } finally {
    await sink.stop();
    removeDir(dir);
  }
});

test("file_roll avro_event writes an Avro container of Flume events", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  ch.queue.push(event("a", { h: "1" }), event(Buffer.from([0, 1, 2]), {}));
  const sink = createFileRollSink(
    "k1",
    Context.of({ "sink.directory": dir, "sink.serializer": "avro_event", "sink.batchSize": "1" }),
    env,
  );
  sink.setChannel(ch);
  sink.start();
  await sink.process();
  await sink.process();
  await sink.stop();
  try {
    const files = readdirSync(dir);
    const events = await readAvroEvents(readFileSync(join(dir, files[0]!)));
    assert.deepEqual(events, [
      { headers: { h: "1" }, body: Buffer.from("a") },
      { headers: {}, body: Buffer.from([0, 1, 2]) },
    ]);
  } finally {
    removeDir(dir);
  }
});

test("file_roll: a failed write rolls back and backs off; nothing is lost", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  ch.queue.push(event("x"));
  const sink = new RollingFileSink("k1", { directory: join(dir, "sub"), rollInterval: 0 });
  sink.setChannel(ch);
  sink.start();
  try {
    // the directory is replaced by a plain file: opening a file in it fails (even as root)
    rmdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub"), "");
    assert.equal(await sink.process(), "BACKOFF");
    assert.equal(ch.size(), 1);
    unlinkSync(join(dir, "sub"));
    mkdirSync(join(dir, "sub"));
    assert.equal(await sink.process(), "READY");
    assert.equal(ch.size(), 0);
  } finally {
    await sink.stop();
    removeDir(dir);
  }
});

test("file_roll: a failing channel take rolls back and backs off", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  ch.queue.push(event("x"));
  ch.failTakes = new Error("boom");
  const sink = new RollingFileSink("k1", { directory: dir, rollInterval: 0 });
  sink.setChannel(ch);
  sink.start();
  try {
    assert.equal(await sink.process(), "BACKOFF");
    assert.equal(ch.rollbacks, 1);
    assert.equal(sink.counter.get("EventWriteFail"), 1);
  } finally {
    await sink.stop();
    removeDir(dir);
  }
});
