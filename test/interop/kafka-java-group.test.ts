/**
 * The Java client (kafka-clients 3.9.2, test/interop/java/JavaGroupClient.java run by the java
 * launcher through kafka.sh) in a consumer group on a millrace broker process: two consumers of
 * one group split a 4-partition topic between them, read every record once and commit; after
 * more records are produced, a new consumer of the same group resumes from the committed offsets
 * and reads only the new ones.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { removeDir, tempDir } from "../helpers/broker.js";
import { BrokerProcess, INTEROP_DIR, assertPresent, needs, readTopic } from "./helpers.js";
import { fetchJvmTool, kafkaTool, missingJvmTool, parseGroupDescribe } from "./jvm-tools.js";

const missing = missingJvmTool("kafka");
const CLIENT = join(INTEROP_DIR, "java", "JavaGroupClient.java");

let broker: BrokerProcess | undefined;
let dir = "";

before(async () => {
  dir = tempDir("millrace-java-group-");
  broker = await BrokerProcess.start(dir);
  if (!missing) await fetchJvmTool("kafka");
});

after(async () => {
  await broker?.stop();
  removeDir(dir);
});

interface Seen {
  consumer: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
}

function parse(stdout: string): { records: Seen[]; assigned: Map<string, number[]>; total: number } {
  const records: Seen[] = [];
  const assigned = new Map<string, number[]>();
  let total = -1;
  for (const line of stdout.split("\n")) {
    const f = line.split(" ");
    if (f[0] === "record")
      records.push({ consumer: f[1], partition: Number(f[2]), offset: Number(f[3]), key: f[4], value: f[5] });
    else if (f[0] === "assigned") assigned.set(f[1], f[2] ? f[2].split(",").map(Number) : []);
    else if (f[0] === "total") total = Number(f[1]);
  }
  return { records, assigned, total };
}

test(
  "Java client: two consumers of a group split the partitions, commit, and a third resumes",
  needs(missing, 400_000),
  async () => {
    assertPresent(missing);
    const b = broker!.bootstrap;
    const topic = "java-group";
    const group = "java-group-g";
    await kafkaTool("topics", ["--bootstrap-server", b, "--create", "--topic", topic, "--partitions", "4"]);
    await kafkaTool(CLIENT, ["produce", b, topic, "0", "200"]);

    const split = parse((await kafkaTool(CLIENT, ["split", b, topic, group, "200"])).stdout);
    assert.equal(split.total, 200);
    const a0 = split.assigned.get("c0") ?? [];
    const a1 = split.assigned.get("c1") ?? [];
    assert.ok(a0.length > 0 && a1.length > 0, `both consumers must own partitions: c0=${a0} c1=${a1}`);
    assert.deepEqual(
      [...a0, ...a1].sort(),
      [0, 1, 2, 3],
      `the two assignments must partition the topic: c0=${a0} c1=${a1}`,
    );
    for (const r of split.records) {
      const mine = r.consumer === "c0" ? a0 : a1;
      assert.ok(mine.includes(r.partition), `${r.consumer} read partition ${r.partition} it does not own`);
    }
    assert.deepEqual(
      split.records.map((r) => r.key).sort(),
      Array.from({ length: 200 }, (_, i) => `k${i}`).sort(),
      "every record exactly once",
    );
    const stored = await readTopic(b, topic);
    const where = new Map(stored.records.map((r) => [r.key!, `${r.partition}/${r.offset}`]));
    for (const r of split.records)
      assert.equal(`${r.partition}/${r.offset}`, where.get(r.key), `${r.key}: partition/offset`);

    // The commits are on the broker: no lag.
    const described = parseGroupDescribe(
      (await kafkaTool("consumer-groups", ["--bootstrap-server", b, "--describe", "--group", group])).stdout,
    );
    assert.equal(described.length, 4);
    for (const row of described) assert.equal(row.lag, 0, `partition ${row.partition} has lag after the commits`);

    await kafkaTool(CLIENT, ["produce", b, topic, "200", "25"]);
    const resumed = parse((await kafkaTool(CLIENT, ["resume", b, topic, group, "25"])).stdout);
    assert.equal(resumed.total, 25);
    assert.deepEqual(
      resumed.records.map((r) => r.key).sort(),
      Array.from({ length: 25 }, (_, i) => `k${200 + i}`).sort(),
      "the resumed consumer reads only the new records",
    );
  },
);
