/**
 * Consumer-group benchmark, the broker as its own process
 * (group.initial.rebalance.delay.ms=0):
 *
 *  1. consume throughput with librdkafka (confluent-kafka-python): the same
 *     1,000,000 x 100-byte records on 4 partitions read by one consumer with
 *     assign() (no group protocol) and by one consumer subscribe()d in a new
 *     group (FindCoordinator, JoinGroup, SyncGroup, OffsetFetch, heartbeats
 *     and auto-commits while it reads), alternately, several runs each;
 *  2. rebalance time of a 2-member group: member 1 holds all 4 partitions,
 *     member 2 subscribes; the time until both hold their share.
 *     a) librdkafka, heartbeat.interval.ms 3000 (its default) and 100: member 1
 *        learns of the rebalance from its next heartbeat, so the interval
 *        dominates (member 2 joins at a random phase of it: about half an
 *        interval on average, a whole one at worst);
 *     b) the protocol alone, with millrace's client: member 1 heartbeats
 *        until told REBALANCE_IN_PROGRESS and rejoins at once -- the
 *        coordinator's own cost (round trips + one fdatasync of the group's
 *        metadata record).
 *
 *   npx tsx bench/groups/groups.ts [--records 1000000] [--size 100] [--runs 5] [--trials 10] [--protocol-trials 200]
 *
 * Needs /usr/bin/python3 with confluent_kafka (Debian: python3-confluent-kafka).
 * Prints JSON lines and a summary; writes bench/groups/results-latest.json.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KafkaClient } from "../../src/client/client.js";
import { KafkaConnection } from "../../src/client/connection.js";
import { ApiKey } from "../../src/protocol/apis.js";
import type { Message } from "../../src/protocol/codec.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { freePort } from "../../test/helpers/net.js";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    size: { type: "string", default: "100" },
    runs: { type: "string", default: "5" },
    trials: { type: "string", default: "10" },
    "protocol-trials": { type: "string", default: "200" },
  },
});
const RECORDS = Number(args.records);
const SIZE = Number(args.size);
const RUNS = Number(args.runs);
const TRIALS = Number(args.trials);
const PROTOCOL_TRIALS = Number(args["protocol-trials"]);
const PY = "/usr/bin/python3";
const SCRIPT = join(import.meta.dirname, "rdkafka_groups.py");
const REPO = join(import.meta.dirname, "..", "..");

if (spawnSync(PY, ["-c", "import confluent_kafka"]).status !== 0) {
  console.error("bench/groups needs confluent-kafka-python: apt-get install python3-confluent-kafka");
  process.exit(2);
}

function py(mode: string, ...rest: (string | number)[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(PY, [SCRIPT, mode, ...rest.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`${mode} exited ${code}: ${out}`));
      resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const r1 = (x: number) => Math.round(x * 10) / 10;

/** ConsumerProtocolSubscription v0 of one topic. */
function subscription(topic: string): Buffer {
  const b = Buffer.alloc(2 + 4 + 2 + topic.length + 4);
  let o = b.writeInt16BE(0, 0);
  o = b.writeInt32BE(1, o);
  o = b.writeInt16BE(topic.length, o);
  o += b.write(topic, o);
  b.writeInt32BE(-1, o);
  return b;
}

/** ConsumerProtocolAssignment v0. */
function assignment(topic: string, partitions: number[]): Buffer {
  const b = Buffer.alloc(2 + 4 + 2 + topic.length + 4 + 4 * partitions.length + 4);
  let o = b.writeInt16BE(0, 0);
  o = b.writeInt32BE(1, o);
  o = b.writeInt16BE(topic.length, o);
  o += b.write(topic, o);
  o = b.writeInt32BE(partitions.length, o);
  for (const p of partitions) o = b.writeInt32BE(p, o);
  b.writeInt32BE(-1, o);
  return b;
}

function check(code: number, what: string, want: number = ErrorCode.NONE): void {
  if (code !== want) throw new Error(`${what}: error ${code}, expected ${want}`);
}

/** Joins with JoinGroup v5 (MEMBER_ID_REQUIRED, then with the id); resolves with the final response. */
async function joinGroup(c: KafkaConnection, groupId: string, meta: Buffer, memberId = ""): Promise<Message> {
  const body = (id: string) => ({
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: id,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: meta }],
    reason: null,
  });
  if (memberId === "") {
    const first = await c.send(ApiKey.JoinGroup, 5, body(""));
    check(first.errorCode, "first JoinGroup", ErrorCode.MEMBER_ID_REQUIRED);
    memberId = first.memberId;
  }
  const r = await c.send(ApiKey.JoinGroup, 5, body(memberId));
  check(r.errorCode, "JoinGroup");
  return r;
}

function sync(
  c: KafkaConnection,
  groupId: string,
  generationId: number,
  memberId: string,
  assignments: { memberId: string; assignment: Buffer }[],
): Promise<Message> {
  return c.send(ApiKey.SyncGroup, 3, { groupId, generationId, memberId, groupInstanceId: null, assignments });
}

/** The rebalance with clients that react at once: see the header. */
async function protocolRebalance(bootstrap: string, topic: string, trials: number): Promise<number[]> {
  const c1 = await KafkaConnection.open(bootstrap, { clientId: "bench-proto-1" });
  const c2 = await KafkaConnection.open(bootstrap, { clientId: "bench-proto-2" });
  const meta = subscription(topic);
  const times: number[] = [];
  try {
    for (let t = 0; t < trials; t++) {
      const groupId = `bench-proto-${t}-${Date.now()}`;
      const j1 = await joinGroup(c1, groupId, meta);
      check(
        (
          await sync(c1, groupId, j1.generationId, j1.memberId, [
            { memberId: j1.memberId, assignment: assignment(topic, [0, 1, 2, 3]) },
          ])
        ).errorCode,
        "SyncGroup (alone)",
      );

      const t0 = performance.now();
      const joining2 = joinGroup(c2, groupId, meta);
      // Member 1 heartbeats until the coordinator tells it to rejoin (bounded).
      for (let i = 0; ; i++) {
        if (i > 100_000) throw new Error("member 1 was never told to rejoin");
        const hb = await c1.send(ApiKey.Heartbeat, 3, {
          groupId,
          generationId: j1.generationId,
          memberId: j1.memberId,
          groupInstanceId: null,
        });
        if (hb.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) break;
        check(hb.errorCode, "Heartbeat");
      }
      const [r1j, r2j] = await Promise.all([joinGroup(c1, groupId, meta, j1.memberId), joining2]);
      const leader = r1j.leader === r1j.memberId ? { c: c1, j: r1j } : { c: c2, j: r2j };
      const follower = leader.c === c1 ? { c: c2, j: r2j } : { c: c1, j: r1j };
      const followerSync = sync(follower.c, groupId, follower.j.generationId, follower.j.memberId, []);
      const leaderSync = await sync(leader.c, groupId, leader.j.generationId, leader.j.memberId, [
        { memberId: leader.j.memberId, assignment: assignment(topic, [0, 1]) },
        { memberId: follower.j.memberId, assignment: assignment(topic, [2, 3]) },
      ]);
      const fs = await followerSync;
      times.push(performance.now() - t0);
      check(leaderSync.errorCode, "leader's SyncGroup");
      check(fs.errorCode, "follower's SyncGroup");
      for (const [c, j] of [
        [c1, r1j],
        [c2, r2j],
      ] as const) {
        await c.send(ApiKey.LeaveGroup, 3, { groupId, members: [{ memberId: j.memberId, groupInstanceId: null }] });
      }
    }
  } finally {
    c1.close();
    c2.close();
  }
  return times;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "millrace-bench-groups-"));
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const broker: ChildProcess = spawn(
    process.execPath,
    [
      join(REPO, "bin", "millrace.js"),
      "broker",
      "--override",
      `listeners=PLAINTEXT://${bootstrap}`,
      "--override",
      `log.dirs=${dir}`,
      "--override",
      "group.initial.rebalance.delay.ms=0",
    ],
    { cwd: REPO, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, MILLRACE_LOG_LEVEL: "warn" } },
  );
  let client: KafkaClient | undefined;
  for (let i = 0; i < 200 && !client; i++) {
    try {
      client = await KafkaClient.connect(bootstrap);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!client) throw new Error("broker did not start");
  try {
    const topic = "bench-groups";
    await client.createTopic(topic, 4);
    const prod = await py("produce", bootstrap, topic, RECORDS, SIZE);
    console.log(JSON.stringify({ produced: prod }));
    // Warm-up read (JIT, page cache), not counted.
    await py("consume", bootstrap, topic, RECORDS, 4, "assign", "bench-warmup");

    const runs: Record<string, Record<string, number>[]> = { assign: [], subscribe: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const mode of ["assign", "subscribe"] as const) {
        const r = (await py("consume", bootstrap, topic, RECORDS, 4, mode, `bench-consume-${i}`)) as Record<
          string,
          number
        >;
        if (r.records !== RECORDS) throw new Error(`${mode} run ${i} consumed ${r.records} of ${RECORDS}`);
        runs[mode].push(r);
        console.log(JSON.stringify({ mode, run: i, ...r }));
      }
    }
    const consume = Object.fromEntries(
      Object.entries(runs).map(([mode, rs]) => [
        mode,
        {
          median_rate: Math.round(median(rs.map((r) => r.rate))),
          min_rate: Math.round(Math.min(...rs.map((r) => r.rate))),
          max_rate: Math.round(Math.max(...rs.map((r) => r.rate))),
          median_mb_s: r1(median(rs.map((r) => r.mb_per_s))),
          median_total_rate: Math.round(median(rs.map((r) => r.total_rate))),
          median_total_seconds: +median(rs.map((r) => r.total_seconds)).toFixed(3),
          ...(mode === "subscribe" ? { median_assigned_ms: r1(median(rs.map((r) => r.assigned_ms))) } : {}),
          runs: rs.length,
        },
      ]),
    );

    const rebalance: Record<string, unknown> = {};
    for (const hb of [3000, 100]) {
      const r = (await py("rebalance", bootstrap, topic, TRIALS, hb)) as {
        trials: { both_ms: number; member1_ms: number; member2_ms: number }[];
      };
      const both = r.trials.map((x) => x.both_ms);
      rebalance[`librdkafka_heartbeat_${hb}ms`] = {
        median_ms: r1(median(both)),
        min_ms: r1(Math.min(...both)),
        max_ms: r1(Math.max(...both)),
        trials: r.trials.map((x) => ({
          both_ms: r1(x.both_ms),
          member1_ms: r1(x.member1_ms),
          member2_ms: r1(x.member2_ms),
        })),
      };
      console.log(
        JSON.stringify({
          rebalance: `librdkafka heartbeat.interval.ms=${hb}`,
          ...(rebalance[`librdkafka_heartbeat_${hb}ms`] as object),
        }),
      );
    }
    const proto = await protocolRebalance(bootstrap, topic, PROTOCOL_TRIALS);
    rebalance.protocol = {
      median_ms: +median(proto).toFixed(2),
      p99_ms: +pct(proto, 0.99).toFixed(2),
      max_ms: +Math.max(...proto).toFixed(2),
      trials: proto.length,
    };
    console.log(
      JSON.stringify({ rebalance: "protocol (millrace client, immediate rejoin)", ...(rebalance.protocol as object) }),
    );

    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      records: RECORDS,
      size: SIZE,
      partitions: 4,
      produce: { rate: Math.round(prod.rate as number), mb_s: r1(prod.mb_per_s as number) },
      consume,
      group_vs_assign_rate: +(consume.subscribe.median_rate / consume.assign.median_rate).toFixed(3),
      rebalance,
    };
    writeFileSync(join(import.meta.dirname, "results-latest.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await client.close();
    broker.kill("SIGTERM");
    await new Promise((r) => broker.on("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
