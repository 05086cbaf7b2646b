/**
 * kcat's balanced consumer (`kcat -G group topic`, librdkafka's KafkaConsumer)
 * against millrace's group coordinator over real sockets:
 *  - two -G members of one group on a 4-partition topic: librdkafka's range
 *    assignor, run by whichever member leads, gives each some partitions and
 *    both together all of them (as each member reports in its rebalance
 *    callback and as DescribeGroups sees it); every record produced
 *    afterwards is consumed exactly once, by the member that owns its
 *    partition;
 *  - one -G consumer run twice (-e: exit at the end of every assigned
 *    partition): the first run commits on close, the second gets exactly the
 *    records produced in between, starting at the committed offsets.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startBroker, removeDir } from "../helpers/broker.js";
import { assertPresent, missingCommand, needs, runOk } from "./helpers.js";
import {
  Watched,
  committedOffsets,
  createTopic,
  describeGroup,
  produceNumbered,
  sorted,
  recordValue,
} from "./groups-helpers.js";

const missing = missingCommand("kcat", ["-V"], "kcat");

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const FORMAT = "%p\t%o\t%s\n";
const REBALANCED = /rebalanced \(memberid ([^)]*)\): (assigned|revoked): ?(.*)$/;

interface Row {
  partition: number;
  offset: number;
  value: string;
}

function parseRows(lines: string[]): Row[] {
  return lines
    .filter((l) => l !== "")
    .map((l) => {
      const f = l.split("\t");
      assert.equal(f.length, 3, `unexpected kcat output line: ${JSON.stringify(l)}`);
      return { partition: Number(f[0]), offset: Number(f[1]), value: f[2] };
    });
}

/** The member's current assignment per its last rebalance line on stderr (null before the first one). */
function currentAssignment(w: Watched, topic: string): number[] | null {
  let current: number[] | null = null;
  for (const l of w.err) {
    const m = REBALANCED.exec(l);
    if (!m) continue;
    if (m[2] === "revoked") current = [];
    else current = sorted([...m[3].matchAll(new RegExp(`${topic} \\[(\\d+)\\]`, "g"))].map((x) => Number(x[1])));
  }
  return current;
}

function kcatGroup(bootstrap: string, group: string, topic: string, extra: string[] = []): string[] {
  return [
    "-b",
    bootstrap,
    "-G",
    group,
    "-X",
    "auto.offset.reset=earliest",
    "-X",
    "heartbeat.interval.ms=500",
    "-u",
    "-f",
    FORMAT,
    ...extra,
    topic,
  ];
}

test(
  "kcat -G: two balanced consumers split a 4-partition topic; each record is consumed once, by its partition's owner",
  needs(missing, 180_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
    dirs.push(tb.dir);
    const topic = "kcat-split";
    const group = "kcat-split-group";
    const members: Watched[] = [];
    try {
      await createTopic(tb.bootstrap, topic, 4);
      const a = new Watched("kcat member A", "kcat", kcatGroup(tb.bootstrap, group, topic));
      members.push(a);
      await a.until("member A is assigned all 4 partitions", 60_000, () => currentAssignment(a, topic)?.length === 4);
      const b = new Watched("kcat member B", "kcat", kcatGroup(tb.bootstrap, group, topic));
      members.push(b);

      // Both have assignments, disjoint, covering every partition.
      const split = await Watched.until("members A and B split the partitions", 60_000, [a, b], () => {
        const [x, y] = [currentAssignment(a, topic), currentAssignment(b, topic)];
        if (!x || !y || x.length === 0 || y.length === 0) return undefined;
        if (x.some((p) => y.includes(p))) return undefined;
        return sorted([...x, ...y]).join() === "0,1,2,3" ? { a: x, b: y } : undefined;
      });
      console.log(`# kcat -G: member A owns [${split.a}], member B owns [${split.b}]`);
      const described = await describeGroup(tb.bootstrap, group);
      assert.deepEqual(described, { state: "Stable", members: 2, protocol: described.protocol }, "DescribeGroups");
      assert.ok(["range", "roundrobin"].includes(described.protocol), `assignor ${described.protocol}`);

      const N = 2_000;
      const sent = await produceNumbered(tb.bootstrap, topic, 4, 0, N);
      await Watched.until(
        `members A and B consume all ${N} records`,
        60_000,
        [a, b],
        () => a.out.length + b.out.length >= N,
      );

      const rowsA = parseRows(a.out);
      const rowsB = parseRows(b.out);
      for (const [who, rows, owned] of [
        ["A", rowsA, split.a],
        ["B", rowsB, split.b],
      ] as const) {
        assert.ok(rows.length > 0, `member ${who} consumed nothing`);
        for (const r of rows)
          assert.ok(
            owned.includes(r.partition),
            `member ${who} consumed ${r.partition}/${r.offset}, owning only [${owned}]`,
          );
      }
      // Exactly once overall: per partition, offsets 0..n-1 in order, with the values produced.
      for (let p = 0; p < 4; p++) {
        const rows = [...rowsA, ...rowsB].filter((r) => r.partition === p);
        assert.deepEqual(
          rows.map((r) => r.offset),
          sent.get(p)!.map((_, i) => i),
          `partition ${p}: offsets consumed`,
        );
        assert.deepEqual(
          rows.map((r) => r.value),
          sent.get(p),
          `partition ${p}: values consumed`,
        );
      }
      // A clean exit on SIGTERM (kcat closes its consumer: revoke, commit, LeaveGroup).
      for (const m of [b, a])
        assert.deepEqual(await m.kill("SIGTERM"), { code: 0, signal: null }, `${m.name} exit\n${m.recent()}`);
      // kcat auto-commits what it consumed when it closes.
      const committed = await committedOffsets(tb.bootstrap, group, topic, 4);
      for (let p = 0; p < 4; p++)
        assert.equal(committed.get(p), BigInt(sent.get(p)!.length), `partition ${p}: committed offset after close`);
      assert.equal((await describeGroup(tb.bootstrap, group)).state, "Empty");
    } finally {
      for (const m of members) if (m.running) await m.kill("SIGKILL");
      await tb.stop();
    }
  },
);

test(
  "kcat -G: a balanced consumer run twice resumes from its committed offsets (the second run gets " +
    "only the new records)",
  needs(missing, 180_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
    dirs.push(tb.dir);
    const topic = "kcat-resume";
    const group = "kcat-resume-group";
    try {
      await createTopic(tb.bootstrap, topic, 4);
      const first = await produceNumbered(tb.bootstrap, topic, 4, 0, 1_000);
      const r1 = await runOk("kcat", kcatGroup(tb.bootstrap, group, topic, ["-e"]), { timeoutMs: 60_000 });
      const rows1 = parseRows(r1.stdout.split("\n"));
      assert.equal(rows1.length, 1_000, "first run: records consumed");
      for (let p = 0; p < 4; p++) {
        assert.deepEqual(
          rows1.filter((r) => r.partition === p).map((r) => r.value),
          first.get(p),
          `first run, partition ${p}`,
        );
      }
      const c1 = await committedOffsets(tb.bootstrap, group, topic, 4);
      for (let p = 0; p < 4; p++) assert.equal(c1.get(p), 250n, `partition ${p}: committed after the first run`);

      const second = await produceNumbered(tb.bootstrap, topic, 4, 1_000, 600);
      const r2 = await runOk("kcat", kcatGroup(tb.bootstrap, group, topic, ["-e"]), { timeoutMs: 60_000 });
      const rows2 = parseRows(r2.stdout.split("\n"));
      assert.equal(
        rows2.length,
        600,
        `second run: consumed ${rows2.length} records, 600 were produced since the first run`,
      );
      for (let p = 0; p < 4; p++) {
        const got = rows2.filter((r) => r.partition === p);
        assert.deepEqual(
          got.map((r) => r.offset),
          second.get(p)!.map((_, i) => 250 + i),
          `second run, partition ${p}: starts at the committed offset 250`,
        );
        assert.deepEqual(
          got.map((r) => r.value),
          second.get(p),
        );
      }
      assert.ok(
        !rows2.some((r) => r.value === recordValue(topic, 0)),
        "the second run re-delivered a committed record",
      );
      const c2 = await committedOffsets(tb.bootstrap, group, topic, 4);
      for (let p = 0; p < 4; p++) assert.equal(c2.get(p), 400n, `partition ${p}: committed after the second run`);
    } finally {
      await tb.stop();
    }
  },
);
