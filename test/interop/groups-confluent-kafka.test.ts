/**
 * confluent-kafka-python (librdkafka) consumer groups against millrace, each
 * consumer its own process (groups-confluent-consumer.py: subscribe(),
 * synchronous commits, a commit of revoked partitions in on_revoke):
 *  - two consumers split a 4-partition topic 2/2; one is SIGKILLed after a
 *    synchronous commit followed by records it consumed but did not commit;
 *    once its session times out the survivor owns all 4 partitions, resumes
 *    the dead member's partitions exactly at its last commit and its own
 *    exactly where it left off. Every record is consumed; the only records
 *    consumed twice are the dead member's uncommitted ones.
 *  - committed offsets survive a broker restart: a consumer commits
 *    synchronously, consumes more without committing and is killed; the
 *    broker (its own process) is stopped with SIGTERM and started again over
 *    the same log directory; OffsetFetch returns the commit, and a new
 *    consumer in the group starts exactly there.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startBroker, tempDir, removeDir } from "../helpers/broker.js";
import { BrokerProcess, INTEROP_DIR, PYTHON, assertPresent, missingPythonModule, needs } from "./helpers.js";
import { Watched, committedOffsets, createTopic, describeGroup, produceNumbered, sorted } from "./groups-helpers.js";

const missing = missingPythonModule("confluent_kafka", "python3-confluent-kafka");
const SCRIPT = join(INTEROP_DIR, "groups-confluent-consumer.py");
/** = the broker's default group.min.session.timeout.ms */
const SESSION_TIMEOUT_MS = 6_000;

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

type Ev =
  | { ev: "assign" | "revoke"; parts: number[]; t: number }
  | { ev: "rec"; p: number; o: number; v: string }
  | { ev: "commit"; offsets: Record<string, number>; t: number }
  | { ev: "commit_failed"; errors: string[]; t: number }
  | { ev: "halt" }
  | { ev: "closed"; requests: string[] };

interface ConsumerConfig {
  bootstrap: string;
  group: string;
  topic: string;
  commit_every?: number;
  stop_after?: number;
  uncommitted?: number;
  client_id?: string;
}

function consumer(name: string, cfg: ConsumerConfig): Watched {
  return new Watched(name, PYTHON, [
    SCRIPT,
    JSON.stringify({ session_timeout_ms: SESSION_TIMEOUT_MS, heartbeat_interval_ms: 1000, deadline_s: 150, ...cfg }),
  ]);
}

const evs = (w: Watched) => w.events<Ev>();
const lastAssign = (w: Watched): number[] | null => {
  const a = evs(w).filter((e) => e.ev === "assign");
  return a.length ? (a[a.length - 1] as { parts: number[] }).parts : null;
};
const recs = (w: Watched) => evs(w).filter((e): e is Extract<Ev, { ev: "rec" }> => e.ev === "rec");
const lastCommit = (w: Watched): Record<string, number> => {
  const c = evs(w).filter((e): e is Extract<Ev, { ev: "commit" }> => e.ev === "commit");
  return c.length ? c[c.length - 1].offsets : {};
};

/**
 * Checks one consumer's event stream partition by partition: within each
 * assignment, a partition's records are consecutive offsets, and the first
 * one is where the group's commit for it stood (`resumeAt`, given the
 * partition and the events so far; it also learns from this consumer's own
 * commits). Returns the first offset consumed per (assignment, partition).
 */
function checkPhases(w: Watched, resumeAt: (p: number, ownLast: number | undefined) => number): void {
  const ownCommit = new Map<number, number>();
  let assigned: number[] = [];
  const next = new Map<number, number>(); // partition -> next expected offset in this assignment
  for (const e of evs(w)) {
    if (e.ev === "assign") {
      assigned = e.parts;
      next.clear();
    } else if (e.ev === "commit") {
      for (const [p, o] of Object.entries(e.offsets)) ownCommit.set(Number(p), o);
    } else if (e.ev === "rec") {
      assert.ok(assigned.includes(e.p), `${w.name} consumed ${e.p}/${e.o} while assigned [${assigned}]`);
      const expected = next.get(e.p) ?? resumeAt(e.p, ownCommit.get(e.p));
      assert.equal(e.o, expected, `${w.name}: partition ${e.p} delivered offset ${e.o}, expected ${expected}`);
      next.set(e.p, e.o + 1);
    }
  }
}

test(
  "confluent-kafka: two consumers split 2/2; one is SIGKILLed; the other takes all 4 partitions, " +
    "resuming at the last commits, losing nothing",
  needs(missing, 240_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
    dirs.push(tb.dir);
    const topic = "ck-failover";
    const group = "ck-failover-group";
    const procs: Watched[] = [];
    try {
      await createTopic(tb.bootstrap, topic, 4);
      const a = consumer("consumer A", { bootstrap: tb.bootstrap, group, topic, commit_every: 50, client_id: "ck-a" });
      procs.push(a);
      await a.until("A is assigned all 4 partitions", 60_000, () => lastAssign(a)?.length === 4);
      const STOP_AFTER = 1_200;
      const UNCOMMITTED = 100;
      const b = consumer("consumer B", {
        bootstrap: tb.bootstrap,
        group,
        topic,
        stop_after: STOP_AFTER,
        uncommitted: UNCOMMITTED,
        client_id: "ck-b",
      });
      procs.push(b);
      const split = await Watched.until("A and B split the partitions", 60_000, [a, b], () => {
        const [x, y] = [lastAssign(a), lastAssign(b)];
        if (!x || !y || x.length + y.length !== 4 || x.some((p) => y.includes(p))) return undefined;
        return { a: x, b: y };
      });
      console.log(`# confluent-kafka: A owns [${split.a}], B owns [${split.b}]`);
      assert.equal(split.a.length, 2, "A's share");
      assert.equal(split.b.length, 2, "B's share");
      assert.deepEqual(await describeGroup(tb.bootstrap, group), { state: "Stable", members: 2, protocol: "range" });

      // 1000 records per partition: B halts after 1200 of its 2000 with 100 of them uncommitted.
      const N = 4_000;
      await produceNumbered(tb.bootstrap, topic, 4, 0, N);
      await Watched.until("B commits and halts", 60_000, [a, b], () => evs(b).some((e) => e.ev === "halt"));
      const bCommit = lastCommit(b);
      const bRecs = recs(b);
      assert.equal(bRecs.length, STOP_AFTER + UNCOMMITTED);
      const killedAt = Date.now();
      const killed = await b.kill("SIGKILL");
      assert.equal(killed.signal, "SIGKILL");

      // Records keep arriving while the group notices B is gone.
      const M = 1_000;
      await produceNumbered(tb.bootstrap, topic, 4, N, M);
      const takeover = await a.until(
        "A owns all 4 partitions after B's session times out",
        SESSION_TIMEOUT_MS * 5,
        () => {
          const last = evs(a)
            .filter((e) => e.ev === "assign")
            .pop() as { parts: number[]; t: number } | undefined;
          return last && last.parts.length === 4 && last.t >= killedAt ? last : undefined;
        },
      );
      console.log(
        `# confluent-kafka: A owned all 4 partitions ${takeover.t - killedAt} ms after B was killed ` +
          `(session.timeout.ms ${SESSION_TIMEOUT_MS}, heartbeat.interval.ms 1000)`,
      );

      // Everything produced gets consumed by someone.
      const total = N + M;
      await a.until(`every one of the ${total} records is consumed`, 60_000, () => {
        const seen = new Set<string>();
        for (const r of recs(a)) seen.add(`${r.p}/${r.o}`);
        for (const r of bRecs) seen.add(`${r.p}/${r.o}`);
        return seen.size >= total;
      });
      a.send("close");
      assert.deepEqual(await a.exit(60_000), { code: 0, signal: null }, `A's exit\n${a.recent()}`);
      const aEvents = evs(a);
      const closed = aEvents.find((e) => e.ev === "closed") as { requests: string[] } | undefined;
      console.log(`# confluent-kafka (librdkafka) group requests: ${closed?.requests.join(", ")}`);
      assert.deepEqual(
        aEvents.filter((e) => e.ev === "commit_failed"),
        [],
        "A's commits all succeeded",
      );

      // B: its partitions only, from offset 0, consecutive; its last commit covers all but the last
      // UNCOMMITTED records.
      checkPhases(b, () => 0);
      // A: after the takeover it starts B's partitions exactly at B's last commit, and its own exactly
      // at its own last commit (made in on_revoke), so nothing it committed comes again.
      checkPhases(a, (p, ownLast) => (split.b.includes(p) ? (bCommit[String(p)] ?? 0) : (ownLast ?? 0)));

      // Exactly the uncommitted records of B are consumed twice; nothing is missing.
      const count = new Map<string, number>();
      for (const r of [...bRecs, ...recs(a)]) count.set(`${r.p}/${r.o}`, (count.get(`${r.p}/${r.o}`) ?? 0) + 1);
      const perPartition = total / 4;
      for (let p = 0; p < 4; p++)
        for (let o = 0; o < perPartition; o++) assert.ok(count.has(`${p}/${o}`), `record ${p}/${o} was never consumed`);
      assert.equal(count.size, total, "records consumed that were never produced");
      const twice = sorted(
        [...count].filter(([, n]) => n > 1).map(([k]) => Number(k.split("/")[0]) * 1e6 + Number(k.split("/")[1])),
      );
      const uncommittedByB = sorted(
        bRecs.filter((r) => r.o >= (bCommit[String(r.p)] ?? 0)).map((r) => r.p * 1e6 + r.o),
      );
      assert.equal(uncommittedByB.length, UNCOMMITTED);
      assert.deepEqual(twice, uncommittedByB, "records consumed twice = B's uncommitted records");
      assert.ok([...count.values()].every((n) => n <= 2));

      // A committed everything on close; the group is empty.
      const committed = await committedOffsets(tb.bootstrap, group, topic, 4);
      for (let p = 0; p < 4; p++)
        assert.equal(committed.get(p), BigInt(perPartition), `partition ${p}: committed after A closed`);
      assert.equal((await describeGroup(tb.bootstrap, group)).state, "Empty");
    } finally {
      for (const w of procs) if (w.running) await w.kill("SIGKILL");
      await tb.stop();
    }
  },
);

test(
  "confluent-kafka: synchronously committed offsets survive a broker SIGTERM restart; a new consumer " +
    "starts exactly after the last commit",
  needs(missing, 240_000),
  async () => {
    assertPresent(missing);
    const dir = tempDir("millrace-interop-groups-restart-");
    dirs.push(dir);
    const topic = "ck-restart";
    const group = "ck-restart-group";
    const overrides = { "group.initial.rebalance.delay.ms": "0" };
    let broker = await BrokerProcess.start(dir, overrides);
    const procs: Watched[] = [];
    try {
      await createTopic(broker.bootstrap, topic, 4);
      const N = 2_000;
      await produceNumbered(broker.bootstrap, topic, 4, 0, N);
      const c = consumer("consumer C", {
        bootstrap: broker.bootstrap,
        group,
        topic,
        stop_after: 700,
        uncommitted: 100,
        client_id: "ck-c",
      });
      procs.push(c);
      await c.until("C commits and halts", 60_000, () => evs(c).some((e) => e.ev === "halt"));
      const commit = lastCommit(c);
      assert.deepEqual(lastAssign(c), [0, 1, 2, 3]);
      checkPhases(c, () => 0);
      await c.kill("SIGKILL");
      const before = await committedOffsets(broker.bootstrap, group, topic, 4);

      const stopped = await broker.stop("SIGTERM");
      assert.deepEqual(stopped, { code: 0, signal: null }, `broker exit on SIGTERM\n${broker.log()}`);
      broker = await BrokerProcess.start(dir, overrides);

      // The broker-side view, after the restart: exactly the last synchronous commit.
      const afterRestart = await committedOffsets(broker.bootstrap, group, topic, 4);
      assert.deepEqual(afterRestart, before, "committed offsets changed across the restart");
      for (let p = 0; p < 4; p++)
        assert.equal(
          afterRestart.get(p),
          BigInt(commit[String(p)] ?? -1),
          `partition ${p}: committed offset after the restart`,
        );

      const M = 400;
      await produceNumbered(broker.bootstrap, topic, 4, N, M);
      const d = consumer("consumer D", {
        bootstrap: broker.bootstrap,
        group,
        topic,
        commit_every: 100,
        client_id: "ck-d",
      });
      procs.push(d);
      const perPartition = (N + M) / 4;
      const expected = [0, 1, 2, 3].reduce((n, p) => n + perPartition - (commit[String(p)] ?? 0), 0);
      await d.until(`D consumes the ${expected} records after the commit`, 90_000, () => recs(d).length >= expected);
      // D starts each partition exactly at C's commit: none of C's committed records again, none skipped.
      checkPhases(d, (p) => commit[String(p)] ?? 0);
      assert.equal(recs(d).length, expected);
      d.send("close");
      assert.deepEqual(await d.exit(60_000), { code: 0, signal: null }, `D's exit\n${d.recent()}`);
      assert.equal(recs(d).length, expected, "D consumed records past the end");
      const final = await committedOffsets(broker.bootstrap, group, topic, 4);
      for (let p = 0; p < 4; p++)
        assert.equal(final.get(p), BigInt(perPartition), `partition ${p}: committed after D closed`);
    } finally {
      for (const w of procs) if (w.running) await w.kill("SIGKILL");
      await broker.stop("SIGTERM");
    }
  },
);
