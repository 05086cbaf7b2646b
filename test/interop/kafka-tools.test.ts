/**
 * Apache Kafka 3.9.2's own command-line tools (the classes behind kafka-topics.sh,
 * kafka-console-producer.sh / kafka-console-consumer.sh, kafka-consumer-groups.sh,
 * kafka-producer-perf-test.sh, kafka-consumer-perf-test.sh), fetched with Maven by
 * test/interop/tooling/kafka.sh, against a millrace broker process.
 *
 * Every assertion is on what the tool prints or on what the broker stored (read back
 * with millrace's own client), never on timings.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { removeDir, tempDir } from "../helpers/broker.js";
import { BrokerProcess, assertPresent, needs, readTopic } from "./helpers.js";
import { fetchJvmTool, kafkaTool, missingJvmTool, parseGroupDescribe } from "./jvm-tools.js";

const missing = missingJvmTool("kafka");
const T = 300_000;

let broker: BrokerProcess | undefined;
let dir = "";
let bootstrap = "";

before(async () => {
  dir = tempDir("millrace-kafka-tools-");
  broker = await BrokerProcess.start(dir);
  bootstrap = broker.bootstrap;
  if (!missing) await fetchJvmTool("kafka");
});

after(async () => {
  await broker?.stop();
  removeDir(dir);
});

test("kafka-topics: --create, --list, --describe, --delete", needs(missing, T), async () => {
  assertPresent(missing);
  const create = await kafkaTool("topics", [
    "--bootstrap-server",
    bootstrap,
    "--create",
    "--topic",
    "tools-topics",
    "--partitions",
    "3",
    "--replication-factor",
    "1",
  ]);
  assert.match(create.stdout, /Created topic tools-topics\./);

  const list = await kafkaTool("topics", ["--bootstrap-server", bootstrap, "--list"]);
  assert.ok(list.stdout.split("\n").includes("tools-topics"), `--list does not show the topic:\n${list.stdout}`);

  const describe = await kafkaTool("topics", [
    "--bootstrap-server",
    bootstrap,
    "--describe",
    "--topic",
    "tools-topics",
  ]);
  assert.match(describe.stdout, /Topic: tools-topics\s+TopicId: \S+\s+PartitionCount: 3\s+ReplicationFactor: 1/);
  const partitionLines = describe.stdout.split("\n").filter((l) => /^\s+Topic: tools-topics\s+Partition: \d/.test(l));
  assert.equal(partitionLines.length, 3, describe.stdout);
  for (const [i, l] of partitionLines.entries())
    assert.match(l, new RegExp(`Partition: ${i}\\s+Leader: \\d+\\s+Replicas: \\d+\\s+Isr: \\d+`));

  await kafkaTool("topics", ["--bootstrap-server", bootstrap, "--delete", "--topic", "tools-topics"]);
  const after = await kafkaTool("topics", ["--bootstrap-server", bootstrap, "--list"]);
  assert.ok(
    !after.stdout.split("\n").includes("tools-topics"),
    `the topic is still listed after --delete:\n${after.stdout}`,
  );
});

test(
  "kafka-console-producer with keys, kafka-console-consumer --from-beginning --max-messages in a group",
  needs(missing, T),
  async () => {
    assertPresent(missing);
    const topic = "tools-console";
    await kafkaTool("topics", ["--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "2"]);
    const sent = Array.from({ length: 30 }, (_, i) => [`key-${i % 5}`, `value ${i} ünïcode`] as const);
    await kafkaTool(
      "console-producer",
      [
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=|",
      ],
      {
        input: sent.map(([k, v]) => `${k}|${v}\n`).join(""),
      },
    );

    // What the broker stored: keys and values as sent, each key on a single partition, in order.
    const stored = await readTopic(bootstrap, topic);
    assert.equal(stored.records.length, sent.length);
    const byKey = new Map<string, Set<number>>();
    for (const r of stored.records) byKey.set(r.key!, (byKey.get(r.key!) ?? new Set()).add(r.partition));
    for (const [k, parts] of byKey) assert.equal(parts.size, 1, `key ${k} spread over partitions ${[...parts]}`);
    for (let p = 0; p < 2; p++) {
      const vals = stored.records.filter((r) => r.partition === p).map((r) => `${r.key}|${r.value}`);
      const expected = sent.map(([k, v]) => `${k}|${v}`).filter((kv) => vals.includes(kv));
      assert.deepEqual(vals, expected, `partition ${p} is not in production order`);
    }

    const group = "tools-console-group";
    const consumerArgs = [
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--group",
      group,
      "--property",
      "print.key=true",
      "--property",
      "key.separator=|",
      "--timeout-ms",
      "60000",
    ];
    const first = await kafkaTool("console-consumer", [...consumerArgs, "--from-beginning", "--max-messages", "12"]);
    const firstLines = first.stdout.split("\n").filter(Boolean);
    assert.equal(firstLines.length, 12, first.stdout);
    assert.match(first.stderr, /Processed a total of 12 messages/);
    // The group committed what it printed: a second run (no --from-beginning: committed offsets win) prints the rest.
    const second = await kafkaTool("console-consumer", [...consumerArgs, "--max-messages", String(sent.length - 12)]);
    const secondLines = second.stdout.split("\n").filter(Boolean);
    assert.deepEqual([...firstLines, ...secondLines].sort(), sent.map(([k, v]) => `${k}|${v}`).sort());
  },
);

test(
  "kafka-consumer-groups: --list, --describe with lag, --reset-offsets --to-earliest --execute",
  needs(missing, T),
  async () => {
    assertPresent(missing);
    const topic = "tools-groups";
    const group = "tools-groups-g";
    await kafkaTool("topics", ["--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "3"]);
    const produce = (from: number, n: number) =>
      kafkaTool(
        "console-producer",
        [
          "--bootstrap-server",
          bootstrap,
          "--topic",
          topic,
          "--property",
          "parse.key=true",
          "--property",
          "key.separator=|",
        ],
        {
          input: Array.from({ length: n }, (_, i) => `k${from + i}|v${from + i}\n`).join(""),
        },
      );
    await produce(0, 20);
    await kafkaTool("console-consumer", [
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--group",
      group,
      "--from-beginning",
      "--max-messages",
      "20",
      "--timeout-ms",
      "60000",
    ]);
    await produce(20, 7);
    const ends = new Map<number, number>();
    for (const r of (await readTopic(bootstrap, topic)).records)
      ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, Number(r.offset) + 1));

    const list = await kafkaTool("consumer-groups", ["--bootstrap-server", bootstrap, "--list"]);
    assert.ok(
      list.stdout
        .split("\n")
        .map((l) => l.trim())
        .includes(group),
      `--list does not show ${group}:\n${list.stdout}`,
    );

    const describe = await kafkaTool("consumer-groups", [
      "--bootstrap-server",
      bootstrap,
      "--describe",
      "--group",
      group,
    ]);
    const rows = parseGroupDescribe(describe.stdout);
    assert.equal(rows.length, 3, describe.stdout);
    let lag = 0;
    for (const r of rows) {
      assert.equal(r.topic, topic);
      assert.equal(r.logEnd, ends.get(r.partition) ?? 0, `LOG-END-OFFSET of partition ${r.partition}`);
      assert.equal(r.lag, r.logEnd - (r.current ?? 0), `LAG of partition ${r.partition}`);
      lag += r.lag!;
    }
    assert.equal(lag, 7, `the 7 records produced after the consumer committed are the lag:\n${describe.stdout}`);
    assert.match(describe.stderr + describe.stdout, /has no active members/);

    const reset = await kafkaTool("consumer-groups", [
      "--bootstrap-server",
      bootstrap,
      "--reset-offsets",
      "--to-earliest",
      "--execute",
      "--group",
      group,
      "--topic",
      topic,
    ]);
    assert.match(reset.stdout, /NEW-OFFSET/);
    const afterReset = parseGroupDescribe(
      (await kafkaTool("consumer-groups", ["--bootstrap-server", bootstrap, "--describe", "--group", group])).stdout,
    );
    assert.equal(afterReset.length, 3);
    for (const r of afterReset) {
      assert.equal(r.current, 0, `partition ${r.partition} was not reset to the earliest offset`);
      assert.equal(r.lag, r.logEnd);
    }
    assert.equal(
      afterReset.reduce((s, r) => s + r.lag!, 0),
      27,
    );

    // The reset is real: the group now reads everything again.
    const again = await kafkaTool("console-consumer", [
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--group",
      group,
      "--max-messages",
      "27",
      "--timeout-ms",
      "60000",
    ]);
    assert.equal(again.stdout.split("\n").filter(Boolean).length, 27);
  },
);

test("kafka-producer-perf-test and kafka-consumer-perf-test report every record", needs(missing, T), async () => {
  assertPresent(missing);
  const topic = "tools-perf";
  await kafkaTool("topics", ["--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "4"]);
  const n = 5000;
  for (const acks of ["1", "all"]) {
    const p = await kafkaTool("producer-perf-test", [
      "--topic",
      topic,
      "--num-records",
      String(n),
      "--record-size",
      "100",
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${bootstrap}`,
      `acks=${acks}`,
    ]);
    const m = /^(\d+) records sent, [\d.]+ records\/sec .* ([\d.]+) ms avg latency/m.exec(p.stdout);
    assert.ok(m, `no summary line from producer-perf-test:\n${p.stdout}`);
    assert.equal(Number(m[1]), n, `acks=${acks}: ${m[0]}`);
  }
  const stored = await readTopic(bootstrap, topic);
  assert.equal(stored.records.length, 2 * n);
  assert.ok(stored.records.every((r) => r.value!.length === 100));

  const c = await kafkaTool("consumer-perf-test", [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--messages",
    String(2 * n),
    "--timeout",
    "60000",
    "--group",
    "tools-perf-consumer",
  ]);
  const lines = c.stdout.trim().split("\n");
  const header = lines.findIndex((l) => l.startsWith("start.time"));
  assert.ok(header >= 0 && lines[header + 1], `no result from consumer-perf-test:\n${c.stdout}`);
  const cols = lines[header].split(", ");
  const vals = lines[header + 1].split(", ");
  const col = (name: string) => Number(vals[cols.indexOf(name)]);
  assert.equal(col("data.consumed.in.nMsg"), 2 * n, c.stdout);
  assert.equal(col("data.consumed.in.MB").toFixed(4), ((2 * n * 100) / (1024 * 1024)).toFixed(4), c.stdout);
});
