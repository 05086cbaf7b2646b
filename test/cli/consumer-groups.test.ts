/**
 * `millrace consumer-groups` as a user runs it (a separate process) against a
 * real broker, with a consumer group this test drives by hand over the wire:
 * JoinGroup v5 (the two-step MEMBER_ID_REQUIRED join), SyncGroup with a
 * consumer-protocol Assignment encoded here, OffsetCommit; later LeaveGroup.
 * Committed offsets are checked with raw OffsetFetch requests, not with the
 * code under test.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { KafkaClient } from "../../src/client/client.js";
import { KafkaConnection } from "../../src/client/connection.js";
import { decodeAssignment, encodeAssignment, encodeSubscription } from "../../src/protocol/consumer-protocol.js";
import { ApiKey } from "../../src/protocol/apis.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import type { Message } from "../../src/protocol/codec.js";
import { encodeBatch } from "../../src/protocol/records/records.js";
import { startBroker, removeDir, type TestBroker } from "../helpers/broker.js";

let tb: TestBroker;
let client: KafkaClient;
before(async () => {
  tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
  client = await KafkaClient.connect(tb.bootstrap);
});
after(async () => {
  await client.close();
  await tb.stop();
  removeDir(tb.dir);
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a separate process (asynchronously: the broker lives in this one). */
function millrace(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["bin/millrace.js", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function cg(...args: string[]): Promise<Run> {
  return millrace(["consumer-groups", "--bootstrap-server", tb.bootstrap, ...args]);
}

async function ok(...args: string[]): Promise<Run> {
  const r = await cg(...args);
  assert.equal(r.status, 0, `consumer-groups ${args.join(" ")} failed:\n${r.stderr}`);
  return r;
}

/** A failing run: exit 1 and exactly one line on stderr naming the code. */
async function fails(code: string, ...args: string[]): Promise<Run> {
  const r = await cg(...args);
  assert.equal(r.status, 1, `consumer-groups ${args.join(" ")} should fail with ${code}:\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], new RegExp(`^millrace: .*\\[${code}\\]$`));
  return r;
}

/**
 * The rows of a printed table: the header line (by its first column) and the non-empty lines after it,
 * split on blanks.
 */
function table(stdout: string, firstHeader = "GROUP"): { header: string[]; rows: string[][] } {
  const lines = stdout.split("\n");
  const at = lines.findIndex((x) => x.startsWith(firstHeader + " "));
  assert.ok(at >= 0, `no table in:\n${stdout}`);
  assert.equal(lines[at - 1], "", "Kafka prints a blank line before the table");
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((x) => x.trim() === "");
  return {
    header: lines[at].trim().split(/\s+/),
    rows: (end < 0 ? rest : rest.slice(0, end)).map((x) => x.trim().split(/\s+/)),
  };
}

/** Committed offsets, read with a raw OffsetFetch (v8: every topic of the group). */
async function committed(group: string): Promise<Record<string, string>> {
  const res = await client.bootstrap.send(ApiKey.OffsetFetch, 8, {
    groups: [{ groupId: group, topics: null }],
    requireStable: true,
  });
  const g = (res.groups as Message[])[0];
  assert.equal(g.errorCode, ErrorCode.NONE);
  const out: Record<string, string> = {};
  for (const t of g.topics as Message[])
    for (const p of t.partitions as Message[])
      if (p.committedOffset >= 0n) out[`${t.name}-${p.partitionIndex}`] = String(p.committedOffset);
  return out;
}

async function produce(topic: string, partition: number, n: number): Promise<void> {
  const records = Array.from({ length: n }, (_, i) => ({ value: `${topic}-${partition}-${i}` }));
  await client.produce(topic, partition, encodeBatch({ records }), -1);
}

const GROUP = "billing";
const CLIENT_ID = "cg-test-consumer";

test("consumer-groups: list, describe, reset-offsets and delete like kafka-consumer-groups", {
  timeout: 300_000,
}, async () => {
  // orders: log end offsets 10, 6, 4; audit: 5.
  await client.createTopic("orders", 3);
  await client.createTopic("audit", 1);
  await produce("orders", 0, 10);
  await produce("orders", 1, 6);
  await produce("orders", 2, 4);
  await produce("audit", 0, 5);

  // ---- be a consumer group member over the wire ----
  const member = await KafkaConnection.open(tb.bootstrap, { clientId: CLIENT_ID });
  try {
    const join = (memberId: string) =>
      member.send(ApiKey.JoinGroup, 5, {
        groupId: GROUP,
        sessionTimeoutMs: 300_000,
        rebalanceTimeoutMs: 60_000,
        memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: encodeSubscription(["orders"]) }],
      });
    const first = await join("");
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, "JoinGroup v5 without a member id asks for one");
    const memberId: string = first.memberId;
    assert.ok(memberId.startsWith(CLIENT_ID), memberId);
    const joined = await join(memberId);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.equal(joined.leader, memberId);
    assert.equal(joined.protocolName, "range");
    const generationId: number = joined.generationId;

    const assignment = encodeAssignment([{ topic: "orders", partitions: [0, 1] }]);
    const synced = await member.send(ApiKey.SyncGroup, 3, {
      groupId: GROUP,
      generationId,
      memberId,
      groupInstanceId: null,
      assignments: [{ memberId, assignment }],
    });
    assert.equal(synced.errorCode, ErrorCode.NONE);
    assert.deepEqual(decodeAssignment(synced.assignment).partitions, [{ topic: "orders", partitions: [0, 1] }]);

    // Offsets for the assigned partitions, and for two the member does not own.
    const commit = await member.send(ApiKey.OffsetCommit, 7, {
      groupId: GROUP,
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      topics: [
        {
          name: "orders",
          partitions: [0, 1, 2].map((p) => ({
            partitionIndex: p,
            committedOffset: [7n, 6n, 1n][p],
            committedLeaderEpoch: -1,
            committedMetadata: "",
          })),
        },
        {
          name: "audit",
          partitions: [{ partitionIndex: 0, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: "" }],
        },
      ],
    });
    for (const t of commit.topics as Message[])
      for (const p of t.partitions as Message[])
        assert.equal(p.errorCode, ErrorCode.NONE, `commit ${t.name}-${p.partitionIndex}`);
    assert.deepEqual(await committed(GROUP), { "orders-0": "7", "orders-1": "6", "orders-2": "1", "audit-0": "2" });

    // Runs that only read are started together (each is its own process).
    const [list, listStates, listEmpty, describeOffsets, membersVerbose, members, state] = await Promise.all([
      ok("--list"),
      ok("--list", "--state"),
      ok("--list", "--state", "Empty"),
      ok("--describe", "--group", GROUP),
      ok("--describe", "--group", GROUP, "--members", "--verbose"),
      ok("--describe", "--group", GROUP, "--members"),
      ok("--describe", "--group", GROUP, "--state"),
    ]);

    // ---- --list ----
    assert.deepEqual(list.stdout.trim().split("\n"), [GROUP]);
    assert.deepEqual(table("\n" + listStates.stdout).rows, [[GROUP, "Stable"]]);
    assert.deepEqual(table("\n" + listEmpty.stdout).rows, []);

    // ---- --describe (offsets): the member's partitions, then committed ones nobody owns ----
    let r = describeOffsets;
    assert.equal(r.stderr, "", "a Stable group prints no notice");
    let t = table(r.stdout);
    assert.deepEqual(t.header, [
      "GROUP",
      "TOPIC",
      "PARTITION",
      "CURRENT-OFFSET",
      "LOG-END-OFFSET",
      "LAG",
      "CONSUMER-ID",
      "HOST",
      "CLIENT-ID",
    ]);
    assert.deepEqual(t.rows, [
      [GROUP, "orders", "0", "7", "10", "3", memberId, "/127.0.0.1", CLIENT_ID],
      [GROUP, "orders", "1", "6", "6", "0", memberId, "/127.0.0.1", CLIENT_ID],
      [GROUP, "audit", "0", "2", "5", "3", "-", "-", "-"],
      [GROUP, "orders", "2", "1", "4", "3", "-", "-", "-"],
    ]);
    // Kafka's fixed-width columns: PARTITION is 10 wide, the offsets 15.
    const headerLine = r.stdout.split("\n").find((x) => x.startsWith("GROUP "))!;
    assert.match(
      headerLine,
      /^GROUP {11}TOPIC {11}PARTITION {2}CURRENT-OFFSET {2}LOG-END-OFFSET {2}LAG {13}CONSUMER-ID +HOST {12}CLIENT-ID$/,
    );

    t = table(membersVerbose.stdout);
    assert.deepEqual(t.header, ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT"]);
    assert.deepEqual(t.rows, [[GROUP, memberId, "/127.0.0.1", CLIENT_ID, "2", "orders(0,1)"]]);
    assert.deepEqual(table(members.stdout).rows, [[GROUP, memberId, "/127.0.0.1", CLIENT_ID, "2"]]);

    t = table(state.stdout);
    assert.deepEqual(t.header, ["GROUP", "COORDINATOR", "(ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]);
    assert.deepEqual(t.rows, [[GROUP, tb.bootstrap, `(${tb.broker.config.nodeId})`, "range", "Stable", "1"]]);

    // ---- refusals while the member is active ----
    const [resetActive] = await Promise.all([
      fails(
        "MR_CLI_GROUP_ACTIVE",
        "--reset-offsets",
        "--group",
        GROUP,
        "--topic",
        "orders",
        "--to-earliest",
        "--execute",
      ),
      fails("MR_CLI_GROUP_ACTIVE", "--reset-offsets", "--group", GROUP, "--all-topics", "--to-latest", "--dry-run"),
    ]);
    assert.match(resetActive.stderr, /group 'billing' is inactive, but the current state is Stable/);
    r = await fails("MR_CLI_GROUP_NOT_EMPTY", "--delete", "--group", GROUP);
    assert.match(r.stderr, /'billing': the group is not empty/);
    assert.deepEqual(
      await committed(GROUP),
      { "orders-0": "7", "orders-1": "6", "orders-2": "1", "audit-0": "2" },
      "refusals change nothing",
    );

    // ---- leave: the group is Empty, its offsets stay ----
    const left = await member.send(ApiKey.LeaveGroup, 4, {
      groupId: GROUP,
      members: [{ memberId, groupInstanceId: null }],
    });
    assert.equal(left.errorCode, ErrorCode.NONE);
    assert.equal((left.members as Message[])[0].errorCode, ErrorCode.NONE);
  } finally {
    member.close();
  }

  const [emptyOffsets, emptyMembers, emptyState, emptyList] = await Promise.all([
    ok("--describe", "--group", GROUP),
    ok("--describe", "--group", GROUP, "--members"),
    ok("--describe", "--group", GROUP, "--state"),
    ok("--list", "--state"),
  ]);
  let r = emptyOffsets;
  assert.equal(r.stderr.trim(), "Consumer group 'billing' has no active members.");
  assert.deepEqual(table(r.stdout).rows, [
    [GROUP, "audit", "0", "2", "5", "3", "-", "-", "-"],
    [GROUP, "orders", "0", "7", "10", "3", "-", "-", "-"],
    [GROUP, "orders", "1", "6", "6", "0", "-", "-", "-"],
    [GROUP, "orders", "2", "1", "4", "3", "-", "-", "-"],
  ]);
  r = emptyMembers;
  assert.equal(r.stderr.trim(), "Consumer group 'billing' has no active members.");
  assert.equal(r.stdout, "", "no members, no table");
  assert.deepEqual(
    table(emptyState.stdout).rows,
    [[GROUP, tb.bootstrap, `(${tb.broker.config.nodeId})`, "Empty", "0"]],
    "no assignment strategy outside Stable",
  );
  assert.deepEqual(table("\n" + emptyList.stdout).rows, [[GROUP, "Empty"]]);

  // ---- reset: a dry run unless --execute ----
  const [dryDefault, dryRun] = await Promise.all([
    ok("--reset-offsets", "--group", GROUP, "--topic", "orders", "--to-earliest"),
    ok("--reset-offsets", "--group", GROUP, "--all-topics", "--to-latest", "--dry-run"),
  ]);
  r = dryDefault;
  assert.match(r.stderr, /^WARN: No action will be performed as the --execute option is missing/);
  const t = table(r.stdout);
  assert.deepEqual(t.header, ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]);
  assert.deepEqual(t.rows, [
    [GROUP, "orders", "0", "0"],
    [GROUP, "orders", "1", "0"],
    [GROUP, "orders", "2", "0"],
  ]);
  r = dryRun;
  assert.equal(r.stderr, "", "--dry-run says so: no warning");
  assert.deepEqual(table(r.stdout).rows, [
    [GROUP, "audit", "0", "5"],
    [GROUP, "orders", "0", "10"],
    [GROUP, "orders", "1", "6"],
    [GROUP, "orders", "2", "4"],
  ]);
  assert.deepEqual(
    await committed(GROUP),
    { "orders-0": "7", "orders-1": "6", "orders-2": "1", "audit-0": "2" },
    "dry runs change nothing",
  );

  r = await ok("--reset-offsets", "--group", GROUP, "--topic", "orders", "--to-latest", "--execute");
  assert.deepEqual(table(r.stdout).rows, [
    [GROUP, "orders", "0", "10"],
    [GROUP, "orders", "1", "6"],
    [GROUP, "orders", "2", "4"],
  ]);
  assert.deepEqual(await committed(GROUP), { "orders-0": "10", "orders-1": "6", "orders-2": "4", "audit-0": "2" });

  // --to-offset on some partitions; beyond the log end it is clamped, as Kafka does.
  r = await ok("--reset-offsets", "--group", GROUP, "--topic", "orders:0,2", "--to-offset", "5", "--execute");
  assert.deepEqual(table(r.stdout).rows, [
    [GROUP, "orders", "0", "5"],
    [GROUP, "orders", "2", "4"],
  ]);
  assert.match(
    r.stderr,
    /New offset \(5\) is higher than latest offset for topic partition orders-2\. Value will be set to 4/,
  );
  assert.deepEqual(await committed(GROUP), { "orders-0": "5", "orders-1": "6", "orders-2": "4", "audit-0": "2" });

  r = await ok("--reset-offsets", "--group", GROUP, "--all-topics", "--to-earliest", "--execute");
  assert.equal(table(r.stdout).rows.length, 4);
  assert.deepEqual(await committed(GROUP), { "orders-0": "0", "orders-1": "0", "orders-2": "0", "audit-0": "0" });

  r = await ok("--reset-offsets", "--group", GROUP, "--topic", "audit", "--shift-by", "3", "--execute");
  assert.deepEqual(table(r.stdout).rows, [[GROUP, "audit", "0", "3"]]);
  r = await ok("--describe", "--group", GROUP);
  assert.deepEqual(table(r.stdout).rows, [
    [GROUP, "audit", "0", "3", "5", "2", "-", "-", "-"],
    [GROUP, "orders", "0", "0", "10", "10", "-", "-", "-"],
    [GROUP, "orders", "1", "0", "6", "6", "-", "-", "-"],
    [GROUP, "orders", "2", "0", "4", "4", "-", "-", "-"],
  ]);

  // A reset for a group that does not exist yet creates its offsets (as Kafka's does).
  r = await ok("--reset-offsets", "--group", "fresh", "--topic", "audit", "--to-offset", "1", "--execute");
  assert.deepEqual(table(r.stdout).rows, [["fresh", "audit", "0", "1"]]);
  assert.deepEqual(await committed("fresh"), { "audit-0": "1" });
  r = await ok("--list");
  assert.deepEqual(r.stdout.trim().split("\n"), [GROUP, "fresh"]);

  // Bad arguments and unknown topics: one line each.
  const bad = await Promise.all([
    fails("MR_CLI_ZOOKEEPER", "--zookeeper", "localhost:2181", "--list"),
    fails("MR_CLI_ARGUMENT", "--reset-offsets", "--group", GROUP, "--to-earliest"),
    fails("MR_CLI_ARGUMENT", "--reset-offsets", "--group", GROUP, "--topic", "orders", "--to-earliest", "--to-latest"),
    fails(
      "MR_CLI_ARGUMENT",
      "--reset-offsets",
      "--group",
      GROUP,
      "--topic",
      "orders",
      "--to-earliest",
      "--dry-run",
      "--execute",
    ),
    fails("MR_CLI_ARGUMENT", "--reset-offsets", "--group", GROUP, "--topic", "orders", "--to-offset", "ten"),
    fails("MR_CLI_ARGUMENT", "--describe"),
    fails("MR_CLI_ARGUMENT", "--list", "--describe"),
    fails("MR_CLI_UNKNOWN_TOPIC", "--reset-offsets", "--group", GROUP, "--topic", "nope", "--to-earliest", "--dry-run"),
    fails(
      "MR_CLI_UNKNOWN_PARTITION",
      "--reset-offsets",
      "--group",
      GROUP,
      "--topic",
      "orders:7",
      "--to-earliest",
      "--dry-run",
    ),
  ]);
  assert.match(bad[0].stderr, /no ZooKeeper.*--bootstrap-server/);

  // ---- --delete ----
  r = await ok("--delete", "--group", GROUP);
  assert.equal(r.stdout.trim(), "Deletion of requested consumer groups ('billing') was successful.");
  assert.deepEqual(await committed(GROUP), {}, "the group's offsets went with it");
  r = await ok("--list");
  assert.deepEqual(r.stdout.trim().split("\n"), ["fresh"]);
  r = await fails("MR_CLI_GROUP_NOT_FOUND", "--describe", "--group", GROUP);
  assert.match(r.stderr, /Consumer group 'billing' does not exist\./);
  await fails("MR_CLI_GROUP_NOT_FOUND", "--delete", "--group", GROUP);
  r = await ok("--delete", "--all-groups");
  assert.equal(r.stdout.trim(), "Deletion of requested consumer groups ('fresh') was successful.");
  r = await ok("--list");
  assert.equal(r.stdout, "");
});
