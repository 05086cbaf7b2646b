import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { Context, event } from "../../../../src/agent/api.js";
import { createHdfsSink, type HdfsSink } from "../../../../src/agent/sinks/hdfs.js";
import { removeDir, tempDir } from "../../../helpers/broker.js";
import { ListChannel } from "../../helpers/channel.js";
import { miniHdfs } from "../../helpers/webhdfs.js";

const env = { agentName: "a1", logger: pino({ level: "silent" }) };
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);

function sinkWith(props: Record<string, string>, ch: ListChannel): HdfsSink {
  const s = createHdfsSink("k1", Context.of({ "hdfs.timeZone": "UTC", ...props }, "a1.sinks.k1"), env);
  s.setChannel(ch);
  s.start();
  return s;
}

async function drain(s: HdfsSink): Promise<void> {
  while ((await s.process()) === "READY");
}

test("hdfs sink, local: %Y/%m/%d/%H buckets, rollCount, in-use names renamed on close", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  for (let i = 0; i < 25; i++) ch.queue.push(event(`e${i}`, { timestamp: String(T0 + (i < 20 ? 0 : 3600_000)) }));
  const s = sinkWith(
    {
      "hdfs.path": `${dir}/flume/%Y/%m/%d/%H/`,
      "hdfs.rollCount": "10",
      "hdfs.rollSize": "0",
      "hdfs.rollInterval": "0",
      "hdfs.batchSize": "7",
      "hdfs.fileSuffix": ".log",
    },
    ch,
  );
  await drain(s);
  assert.equal(ch.size(), 0);
  const h3 = join(dir, "flume/2024/01/02/03");
  const h4 = join(dir, "flume/2024/01/02/04");
  // the first file rolled at the 11th append; the second stays in use until an append or a close
  assert.equal(readdirSync(h3).filter((n) => /^FlumeData\.\d+\.log$/.test(n)).length, 1);
  assert.equal(readdirSync(h3).filter((n) => /^FlumeData\.\d+\.log\.tmp$/.test(n)).length, 1);
  assert.equal(readdirSync(h4).filter((n) => n.endsWith(".log.tmp")).length, 1);
  await s.stop();
  const names = readdirSync(h3).sort();
  for (const n of names) assert.match(n, /^FlumeData\.\d+\.log$/);
  const lines = names.flatMap((n) => readFileSync(join(h3, n), "utf8").split("\n").filter(Boolean));
  assert.deepEqual(
    lines,
    Array.from({ length: 20 }, (_, i) => `e${i}`),
  );
  assert.deepEqual(readFileSync(join(h4, readdirSync(h4)[0]!), "utf8"), "e20\ne21\ne22\ne23\ne24\n");
  removeDir(dir);
});

test("hdfs sink, file:// and CompressedStream gzip; rollSize", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  for (let i = 0; i < 6; i++) ch.queue.push(event("x".repeat(100), {}));
  const s = sinkWith(
    {
      "hdfs.path": `file://${dir}/out`,
      "hdfs.fileType": "CompressedStream",
      "hdfs.codeC": "gzip",
      "hdfs.rollSize": "300",
      "hdfs.rollCount": "0",
      "hdfs.batchSize": "2",
      "hdfs.filePrefix": "ev",
      "hdfs.inUsePrefix": "_",
    },
    ch,
  );
  await drain(s);
  await s.stop();
  const names = readdirSync(join(dir, "out")).sort();
  assert.equal(names.length, 2);
  for (const n of names) assert.match(n, /^ev\.\d+\.gz$/);
  const text = names.map((n) => gunzipSync(readFileSync(join(dir, "out", n))).toString()).join("");
  assert.equal(text, `${"x".repeat(100)}\n`.repeat(6));
  removeDir(dir);
});

test("hdfs sink: no timestamp header and no useLocalTimeStamp fails the batch (rolled back, counted)", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  ch.queue.push(event("a", { timestamp: String(T0) }), event("no-ts"));
  const s = sinkWith({ "hdfs.path": `${dir}/%Y`, "hdfs.batchSize": "10" }, ch);
  assert.equal(await s.process(), "BACKOFF");
  assert.equal(ch.size(), 2);
  assert.equal(ch.rollbacks, 1);
  assert.equal(s.counter.get("EventWriteFail"), 1);
  await s.stop();
  const s2 = sinkWith({ "hdfs.path": `${dir}/%Y`, "hdfs.useLocalTimeStamp": "true", "hdfs.rollInterval": "1" }, ch);
  assert.equal(await s2.process(), "READY");
  assert.equal(ch.size(), 0);
  await s2.stop();
  removeDir(dir);
});

test("hdfs sink: rollInterval and idleTimeout close files", async () => {
  const dir = tempDir();
  const ch = new ListChannel();
  ch.queue.push(event("a", { timestamp: String(T0) }));
  const s = sinkWith({ "hdfs.path": dir, "hdfs.rollInterval": "0", "hdfs.idleTimeout": "1" }, ch);
  await drain(s);
  const deadline = Date.now() + 20_000;
  while (s.closedFiles.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.closedFiles.length, 1);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith(".tmp")),
    [],
  );
  await s.stop();
  removeDir(dir);
});

test("hdfs sink config errors name the key", () => {
  const ch = new ListChannel();
  assert.throws(
    () => sinkWith({ "hdfs.path": "/x", "hdfs.fileType": "SequenceFile" }, ch),
    /a1\.sinks\.k1\.hdfs\.fileType/,
  );
  assert.throws(() => sinkWith({ "hdfs.path": "/x", "hdfs.roundUnit": "day" }, ch), /hdfs\.roundUnit/);
  assert.throws(() => sinkWith({ "hdfs.path": "/x", "hdfs.timeZone": "Mars/Base" }, ch), /hdfs\.timeZone/);
  assert.throws(() => sinkWith({}, ch), /hdfs\.path is required/);
});

test("hdfs sink over WebHDFS: CREATE/APPEND through 307 redirects, RENAME on close, failures roll back", async () => {
  const root = tempDir();
  const hdfs = await miniHdfs(root);
  const ch = new ListChannel();
  for (let i = 0; i < 15; i++) ch.queue.push(event(`w${i}`, { timestamp: String(T0), topic: "tw" }));
  const s = sinkWith(
    {
      "hdfs.path": `hdfs://127.0.0.1:${hdfs.nnPort}/flume/%{topic}/%Y%m%d`,
      "hdfs.rollCount": "10",
      "hdfs.rollSize": "0",
      "hdfs.batchSize": "5",
      "hdfs.proxyUser": "flume",
    },
    ch,
  );
  try {
    assert.equal(await s.process(), "READY");
    hdfs.failAppends = 1;
    assert.equal(await s.process(), "BACKOFF");
    assert.equal(ch.size(), 10);
    assert.equal(s.counter.get("EventWriteFail"), 1);
    await drain(s);
    assert.equal(ch.size(), 0);
    await s.stop();
    const out = join(root, "flume/tw/20240102");
    const names = readdirSync(out).sort();
    const finals = names.filter((n) => /^FlumeData\.\d+$/.test(n));
    assert.ok(finals.length >= 2, `closed files: ${names.join(",")}`);
    const lines = finals.flatMap((n) => readFileSync(join(out, n), "utf8").split("\n").filter(Boolean));
    for (let i = 0; i < 15; i++) assert.ok(lines.includes(`w${i}`), `w${i} written`);
    assert.ok(
      hdfs.ops.some((o) => o.startsWith("PUT CREATE /flume/tw/20240102/FlumeData.") && o.endsWith(".tmp user=flume")),
    );
    assert.ok(hdfs.ops.some((o) => o.startsWith("POST APPEND")));
    assert.ok(hdfs.ops.some((o) => o.startsWith("PUT RENAME")));
    assert.ok(hdfs.ops.some((o) => o.startsWith("PUT MKDIRS /flume/tw/20240102")));
  } finally {
    await hdfs.close();
    removeDir(root);
  }
});
