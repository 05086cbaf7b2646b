/**
 * millrace's log segments read by Apache Kafka 3.9.2's kafka-dump-log (kafka.tools.DumpLogSegments):
 * after a clean stop of a millrace broker process, the segment files are copied and
 *   --print-data-log lists exactly the records the broker served (keys, values, offsets), and
 *   --verify-index-only finds no mismatch between .index/.timeindex and the .log
 * (a deliberately corrupted copy of the .index shows that the check does detect one).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../helpers/broker.js";
import { BrokerProcess, assertPresent, needs, readTopic, type ReadRecord } from "./helpers.js";
import { fetchJvmTool, kafkaTool, missingJvmTool } from "./jvm-tools.js";

const missing = missingJvmTool("kafka");

let dir = "";
let copy = "";

before(async () => {
  dir = tempDir("millrace-dump-log-");
  copy = tempDir("millrace-dump-log-copy-");
  if (!missing) await fetchJvmTool("kafka");
});

after(() => {
  removeDir(dir);
  removeDir(copy);
});

test("kafka-dump-log reads millrace segments and verifies their indexes", needs(missing, 400_000), async () => {
  assertPresent(missing);
  const broker = await BrokerProcess.start(dir);
  const topic = "dump";
  let served: ReadRecord[];
  try {
    const b = broker.bootstrap;
    await kafkaTool("topics", ["--bootstrap-server", b, "--create", "--topic", topic, "--partitions", "1"]);
    await kafkaTool(
      "console-producer",
      ["--bootstrap-server", b, "--topic", topic, "--property", "parse.key=true", "--property", "key.separator=|"],
      {
        input: Array.from({ length: 20 }, (_, i) => `key${i}|value number ${i}\n`).join(""),
      },
    );
    // Enough small batches (batch.size=2000) for many index entries (one per 4096 bytes of log).
    await kafkaTool("producer-perf-test", [
      "--topic",
      topic,
      "--num-records",
      "20000",
      "--record-size",
      "100",
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${b}`,
      "acks=1",
      "batch.size=2000",
      "linger.ms=0",
    ]);
    served = (await readTopic(b, topic)).records;
  } finally {
    const exit = await broker.stop("SIGTERM");
    assert.equal(exit.code, 0, `the broker did not stop cleanly:\n${broker.log()}`);
  }
  assert.equal(served.length, 20_020);

  const partDir = join(dir, `${topic}-0`);
  const files = readdirSync(partDir).filter((f) => /^\d{20}\.(log|index|timeindex)$/.test(f));
  for (const f of files) copyFileSync(join(partDir, f), join(copy, f));
  const base = join(copy, "00000000000000000000");
  assert.ok(
    files.includes("00000000000000000000.log") &&
      files.includes("00000000000000000000.index") &&
      files.includes("00000000000000000000.timeindex"),
    `segment files: ${files}`,
  );

  // --print-data-log: every record, in order, with its key and payload.
  const dump = await kafkaTool("dump-log", ["--files", `${base}.log`, "--print-data-log"], { timeoutMs: 300_000 });
  const dumped: { offset: number; key: string | null; payload: string }[] = [];
  let batches = 0;
  for (const line of dump.stdout.split("\n")) {
    if (line.startsWith("baseOffset:")) {
      batches++;
      assert.match(line, /isvalid: true/, line);
      assert.match(line, /magic: 2/, line);
    }
    // a record without a key has no "key:" field
    const m = /^\| offset: (\d+) .*?(?: key: (.*?))? payload: (.*)$/.exec(line);
    if (m) dumped.push({ offset: Number(m[1]), key: m[2] ?? null, payload: m[3] });
  }
  assert.equal(dumped.length, served.length, "kafka-dump-log lists every record");
  for (let i = 0; i < 20; i++) assert.deepEqual(dumped[i], { offset: i, key: `key${i}`, payload: `value number ${i}` });
  for (const [i, r] of served.entries()) {
    assert.equal(dumped[i].offset, Number(r.offset));
    assert.equal(dumped[i].key, r.key);
    assert.equal(dumped[i].payload, r.value);
  }
  assert.ok(batches > 20, `expected many batches, got ${batches}`);

  // The indexes: entries present, and --verify-index-only finds nothing to report.
  const listed = await kafkaTool("dump-log", ["--files", `${base}.index`]);
  const entries = listed.stdout.split("\n").filter((l) => /^offset: \d+ position: \d+$/.test(l));
  assert.ok(entries.length > 10, `the offset index has few entries:\n${listed.stdout.slice(0, 500)}`);
  const verify = await kafkaTool("dump-log", ["--files", `${base}.index,${base}.timeindex`, "--verify-index-only"]);
  // (DumpLogSegments reports mismatches on stderr)
  assert.doesNotMatch(
    verify.stdout + verify.stderr,
    /mismatch|out of order|corrupt/i,
    `kafka-dump-log --verify-index-only:\n${verify.stdout}\n${verify.stderr}`,
  );
  const sanity = await kafkaTool("dump-log", ["--files", `${base}.index,${base}.timeindex`, "--index-sanity-check"]);
  assert.match(sanity.stdout, /00000000000000000000\.index passed sanity check/);
  assert.match(sanity.stdout, /00000000000000000000\.timeindex passed sanity check/);

  // The verification is live: shift one entry's relative offset and it is reported.
  const idx = readFileSync(`${base}.index`);
  idx.writeUInt32BE(idx.readUInt32BE(8 * 3) + 1, 8 * 3);
  writeFileSync(`${base}.index`, idx);
  const bad = await kafkaTool("dump-log", ["--files", `${base}.index`, "--verify-index-only"]);
  assert.match(bad.stderr, /Mismatches in/, `a corrupted index was not reported:\n${bad.stdout}\n${bad.stderr}`);
});
