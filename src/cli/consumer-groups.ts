/**
 * `millrace consumer-groups`, like kafka-consumer-groups.sh:
 *
 *   --list [--state [states]]
 *   --describe --group G [--offsets | --members [--verbose] | --state]
 *   --reset-offsets --group G (--topic T[:p,...] | --all-topics)
 *       (--to-earliest | --to-latest | --to-offset N | --to-current | --shift-by N)
 *       [--dry-run | --execute]         (a dry run unless --execute, as in Kafka)
 *   --delete --group G
 *
 * (--all-groups instead of --group for --describe, --reset-offsets, --delete;
 * --group may be repeated.) Tables are Kafka's, column for column; member
 * assignments are decoded from the consumer protocol's Assignment bytes.
 * Failures are MillraceErrors with stable codes (MR_CLI_GROUP_NOT_FOUND,
 * MR_CLI_GROUP_ACTIVE, MR_CLI_GROUP_NOT_EMPTY, ...) and one-line messages.
 */
import { Command } from "commander";
import { KafkaClient, KafkaError } from "../client/client.js";
import { CONSUMER_PROTOCOL_TYPE } from "../protocol/consumer-protocol.js";
import { GroupAdmin, type CommittedOffset, type GroupDescription } from "../client/groups.js";
import { ErrorCode, errorName } from "../protocol/errors.js";
import { ConfigError, MillraceError } from "../errors.js";
import { bootstrapOptions, collect, refuseZookeeper } from "./common.js";

interface Opts {
  bootstrapServer: string;
  zookeeper?: string;
  list?: boolean;
  describe?: boolean;
  resetOffsets?: boolean;
  delete?: boolean;
  group: string[];
  allGroups?: boolean;
  offsets?: boolean;
  members?: boolean;
  state?: boolean | string;
  verbose?: boolean;
  topic: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  toCurrent?: boolean;
  shiftBy?: string;
  dryRun?: boolean;
  execute?: boolean;
}

/** A consumer-groups failure that is not a bad argument (a missing or active group, ...). */
export class ConsumerGroupsError extends MillraceError {}

/** Kafka's MISSING_COLUMN_VALUE. */
const MISSING = "-";
const GROUP_STATES = ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"];
const EARLIEST = -2n;
const LATEST = -1n;

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(s + "\n");

/** Java's %-Ns: left-justified, padded to at least N. */
const l = (s: string | number | bigint, width: number) => String(s).padEnd(width);

function argError(message: string): ConfigError {
  return new ConfigError("MR_CLI_ARGUMENT", message);
}

function parseInteger(flag: string, v: string): bigint {
  if (!/^-?\d+$/.test(v.trim())) throw argError(`${flag} ${JSON.stringify(v)} is not an integer`);
  return BigInt(v.trim());
}

export function consumerGroupsCommand(): Command {
  const cmd = new Command("consumer-groups").description(
    "list, describe, reset the offsets of and delete consumer groups (like kafka-consumer-groups)",
  );
  for (const o of bootstrapOptions()) cmd.addOption(o);
  return cmd
    .option("--list", "list all consumer groups")
    .option("--describe", "describe consumer groups: committed offsets and lag (default), --members or --state")
    .option("--reset-offsets", "reset a group's committed offsets (the group must have no active members)")
    .option("--delete", "delete consumer groups (they must have no active members)")
    .option("--group <group>", "the consumer group (repeatable)", collect, [] as string[])
    .option("--all-groups", "every consumer group (with --describe, --reset-offsets, --delete)")
    .option("--offsets", "describe: committed offsets, log end offsets and lag per partition (the default)")
    .option("--members", "describe: the group's members and their partition counts")
    .option(
      "--state [states]",
      "describe: the group's state; list: show each group's state, optionally only these (comma-separated)",
    )
    .option("--verbose", "describe --members: also each member's assigned partitions")
    .option(
      "--topic <topic>",
      "reset: a topic, or topic:p1,p2 for some partitions (repeatable)",
      collect,
      [] as string[],
    )
    .option("--all-topics", "reset: every topic the group has committed offsets for")
    .option("--to-earliest", "reset to the earliest offset")
    .option("--to-latest", "reset to the log end offset")
    .option("--to-offset <n>", "reset to offset n (clamped to the partition's range)")
    .option("--to-current", "reset to the current committed offset")
    .option("--shift-by <n>", "reset by shifting the committed offset by n (may be negative)")
    .option("--dry-run", "reset: only show the new offsets (the default)")
    .option("--execute", "reset: commit the new offsets")
    .action(async (opts: Opts) => {
      refuseZookeeper(opts);
      validate(opts);
      const client = await KafkaClient.connect(opts.bootstrapServer, { clientId: "millrace-consumer-groups" });
      const admin = new GroupAdmin(client);
      try {
        if (opts.list) await list(admin, opts);
        else {
          const groups = opts.allGroups ? (await admin.listGroups()).map((g) => g.groupId) : [...new Set(opts.group)];
          if (opts.describe) await describe(admin, client, groups, opts);
          else if (opts.resetOffsets) await resetOffsets(admin, client, groups, opts);
          else if (opts.delete) await deleteGroups(admin, groups);
        }
      } finally {
        admin.close();
        await client.close();
      }
    });
}

function validate(opts: Opts): void {
  const actions = [opts.list, opts.describe, opts.resetOffsets, opts.delete].filter(Boolean).length;
  if (actions !== 1) throw argError("give exactly one of --list, --describe, --reset-offsets, --delete");
  if (!opts.list && opts.group.length === 0 && !opts.allGroups) throw argError("--group (or --all-groups) is required");
  if (opts.group.length > 0 && opts.allGroups) throw argError("give --group or --all-groups, not both");
  if (opts.describe) {
    const views = [opts.offsets, opts.members, opts.state !== undefined].filter(Boolean).length;
    if (views > 1) throw argError("give at most one of --offsets, --members, --state with --describe");
    if (typeof opts.state === "string") throw argError("--state takes no value with --describe");
    if (opts.verbose && !opts.members) throw argError("--verbose needs --describe --members");
  }
  if (opts.list && typeof opts.state === "string") {
    for (const s of opts.state
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)) {
      if (!GROUP_STATES.some((g) => g.toLowerCase() === s.toLowerCase()))
        throw argError(`--state ${JSON.stringify(s)}: the states are ${GROUP_STATES.join(", ")}`);
    }
  }
  if (opts.resetOffsets) {
    const scopes = [opts.topic.length > 0, opts.allTopics].filter(Boolean).length;
    if (scopes !== 1) throw argError("--reset-offsets needs one of --topic or --all-topics");
    const scenarios = [
      opts.toEarliest,
      opts.toLatest,
      opts.toOffset !== undefined,
      opts.toCurrent,
      opts.shiftBy !== undefined,
    ].filter(Boolean).length;
    if (scenarios !== 1)
      throw argError(
        "--reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-current, --shift-by",
      );
    if (opts.dryRun && opts.execute) throw argError("--reset-offsets takes only one of --execute and --dry-run");
    if (opts.toOffset !== undefined) parseInteger("--to-offset", opts.toOffset);
    if (opts.shiftBy !== undefined) parseInteger("--shift-by", opts.shiftBy);
  } else {
    const resetOnly: [boolean, string][] = [
      [opts.topic.length > 0, "--topic"],
      [!!opts.allTopics, "--all-topics"],
      [!!opts.toEarliest, "--to-earliest"],
      [!!opts.toLatest, "--to-latest"],
      [opts.toOffset !== undefined, "--to-offset"],
      [!!opts.toCurrent, "--to-current"],
      [opts.shiftBy !== undefined, "--shift-by"],
      [!!opts.dryRun, "--dry-run"],
      [!!opts.execute, "--execute"],
    ];
    const given = resetOnly.find(([on]) => on);
    if (given) throw argError(`${given[1]} is only used with --reset-offsets`);
  }
}

// ---------------------------------------------------------------- --list

async function list(admin: GroupAdmin, opts: Opts): Promise<void> {
  const groups = await admin.listGroups();
  if (opts.state === undefined) {
    for (const g of groups) out(g.groupId);
    return;
  }
  const wanted =
    typeof opts.state === "string"
      ? new Set(
          opts.state
            .split(",")
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        )
      : new Set<string>();
  const shown = groups.filter((g) => wanted.size === 0 || wanted.has(g.state.toLowerCase()));
  const w = Math.max(15, ...shown.map((g) => g.groupId.length));
  out(`${l("GROUP", w)} STATE`);
  for (const g of shown) out(`${l(g.groupId, w)} ${g.state || "Unknown"}`);
}

// ---------------------------------------------------------------- --describe

/**
 * Kafka's shouldPrintMemberState: says on stderr when the group has no
 * members or is rebalancing; false when there is nothing to print.
 */
function reportState(g: GroupDescription, rows: number): boolean {
  switch (g.state) {
    case "Empty":
      err(`\nConsumer group '${g.groupId}' has no active members.`);
      break;
    case "PreparingRebalance":
    case "CompletingRebalance":
    case "Assigning":
    case "Reconciling":
      err(`\nWarning: Consumer group '${g.groupId}' is rebalancing.`);
      break;
  }
  return rows > 0;
}

async function describeOrMissing(admin: GroupAdmin, groupId: string): Promise<GroupDescription | null> {
  const g = await admin.describeGroup(groupId);
  if (g.state === "Dead") return null;
  if (g.protocolType !== "" && g.protocolType !== CONSUMER_PROTOCOL_TYPE) {
    throw new ConsumerGroupsError(
      "MR_CLI_NOT_CONSUMER_GROUP",
      `group '${groupId}' is not a consumer group (its protocol type is '${g.protocolType}')`,
    );
  }
  return g;
}

function notFound(groups: string[]): ConsumerGroupsError {
  return new ConsumerGroupsError(
    "MR_CLI_GROUP_NOT_FOUND",
    groups.length === 1
      ? `Consumer group '${groups[0]}' does not exist.`
      : `Consumer groups ${groups.map((g) => `'${g}'`).join(", ")} do not exist.`,
  );
}

/** The log end offset of each partition (undefined when it cannot be read, e.g. a deleted topic). */
async function logEndOffsets(
  client: KafkaClient,
  partitions: { topic: string; partition: number }[],
): Promise<Map<string, bigint | undefined>> {
  const res = new Map<string, bigint | undefined>();
  for (const tp of partitions) {
    const k = `${tp.topic}\u0000${tp.partition}`;
    if (res.has(k)) continue;
    try {
      res.set(k, await client.listOffset(tp.topic, tp.partition, LATEST));
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      res.set(k, undefined);
    }
  }
  return res;
}

const byTopicPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

interface OffsetRow {
  topic: string;
  partition: number;
  current: bigint | undefined;
  logEnd: bigint | undefined;
  consumerId: string;
  host: string;
  clientId: string;
}

async function describe(admin: GroupAdmin, client: KafkaClient, groups: string[], opts: Opts): Promise<void> {
  const missing: string[] = [];
  for (const groupId of groups) {
    const g = await describeOrMissing(admin, groupId);
    if (!g) {
      missing.push(groupId);
      continue;
    }
    if (opts.members) printMembers(g, !!opts.verbose);
    else if (opts.state !== undefined) printState(g);
    else printOffsets(g, await offsetRows(admin, client, g));
  }
  if (missing.length > 0) throw notFound(missing);
}

async function offsetRows(admin: GroupAdmin, client: KafkaClient, g: GroupDescription): Promise<OffsetRow[]> {
  const committed = await admin.fetchOffsets(g.groupId);
  const committedAt = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  const assigned = new Set<string>();
  const withConsumer: { topic: string; partition: number; consumerId: string; host: string; clientId: string }[] = [];
  // Kafka's order: members with the most partitions first, members without partitions left out.
  const members = g.members
    .map((m) => ({
      m,
      tps: m.assignment
        .flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })))
        .sort(byTopicPartition),
    }))
    .filter((x) => x.tps.length > 0)
    .sort((a, b) => b.tps.length - a.tps.length);
  for (const { m, tps } of members) {
    for (const tp of tps) {
      assigned.add(`${tp.topic}\u0000${tp.partition}`);
      withConsumer.push({ ...tp, consumerId: m.memberId, host: m.clientHost, clientId: m.clientId });
    }
  }
  const withoutConsumer = committed
    .filter((c) => !assigned.has(`${c.topic}\u0000${c.partition}`))
    .sort(byTopicPartition)
    .map((c) => ({ topic: c.topic, partition: c.partition, consumerId: MISSING, host: MISSING, clientId: MISSING }));
  const all = [...withConsumer, ...withoutConsumer];
  const ends = await logEndOffsets(client, all);
  return all.map((r) => {
    const k = `${r.topic}\u0000${r.partition}`;
    return { ...r, current: committedAt.get(k), logEnd: ends.get(k) };
  });
}

function printOffsets(g: GroupDescription, rows: OffsetRow[]): void {
  if (!reportState(g, rows.length)) return;
  const gw = Math.max(15, g.groupId.length);
  const tw = Math.max(15, ...rows.map((r) => r.topic.length));
  const cw = Math.max(15, ...rows.map((r) => r.consumerId.length));
  const hw = Math.max(15, ...rows.map((r) => r.host.length));
  const line = (c: (string | number | bigint)[]) =>
    `${l(c[0], gw)} ${l(c[1], tw)} ${l(c[2], 10)} ${l(c[3], 15)}` +
    ` ${l(c[4], 15)} ${l(c[5], 15)} ${l(c[6], cw)} ${l(c[7], hw)} ${c[8]}`;
  out(
    "\n" +
      line([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
      ]),
  );
  for (const r of rows) {
    const lag =
      r.current !== undefined && r.current !== -1n && r.logEnd !== undefined ? r.logEnd - r.current : undefined;
    out(
      line([
        g.groupId,
        r.topic,
        r.partition,
        r.current ?? MISSING,
        r.logEnd ?? MISSING,
        lag ?? MISSING,
        r.consumerId,
        r.host,
        r.clientId,
      ]),
    );
  }
}

function printMembers(g: GroupDescription, verbose: boolean): void {
  if (!reportState(g, g.members.length)) return;
  const rows = g.members.map((m) => ({ m, count: m.assignment.reduce((n, a) => n + a.partitions.length, 0) }));
  const gw = Math.max(15, g.groupId.length);
  const cw = Math.max(15, ...g.members.map((m) => m.memberId.length));
  const iw = Math.max(17, ...g.members.map((m) => (m.groupInstanceId ?? "").length));
  const hw = Math.max(15, ...g.members.map((m) => m.clientHost.length));
  const kw = Math.max(15, ...g.members.map((m) => m.clientId.length));
  const withInstance = g.members.some((m) => (m.groupInstanceId ?? "") !== "");
  const line = (
    group: string,
    consumer: string,
    instance: string,
    host: string,
    clientId: string,
    count: string | number,
    assignment?: string,
  ) =>
    `${l(group, gw)} ${l(consumer, cw)} ${withInstance ? l(instance, iw) + " " : ""}${l(host, hw)}` +
    ` ${l(clientId, kw)} ${l(count, 15)} ${verbose ? (assignment ?? "") : ""}`;
  out("\n" + line("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT"));
  for (const { m, count } of rows) {
    const assignment =
      count === 0
        ? MISSING
        : [...new Set(m.assignment.map((a) => a.topic))]
            .map(
              (t) =>
                `${t}(${m.assignment
                  .filter((a) => a.topic === t)
                  .flatMap((a) => a.partitions)
                  .sort((a, b) => a - b)
                  .join(",")})`,
            )
            .sort()
            .join(",");
    out(line(g.groupId, m.memberId, m.groupInstanceId ?? "", m.clientHost, m.clientId, count, assignment));
  }
}

function printState(g: GroupDescription): void {
  reportState(g, 1);
  const c = g.coordinator;
  const coordinator = `${c.host}:${c.port} (${c.nodeId})`;
  const gw = Math.max(15, g.groupId.length);
  const cw = Math.max(25, coordinator.length);
  const line = (a: string, b: string, s: string, st: string, n: string | number) =>
    `${l(a, gw)} ${l(b, cw)} ${l(s, 20)} ${l(st, 15)} ${n}`;
  out("\n" + line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"));
  out(line(g.groupId, coordinator, g.protocol, g.state, g.members.length));
}

// ---------------------------------------------------------------- --reset-offsets

interface TopicSpec {
  topic: string;
  partitions: number[] | null;
}

function parseTopicSpec(s: string): TopicSpec {
  const i = s.indexOf(":");
  if (i < 0) {
    if (s.trim() === "") throw argError("--topic needs a topic name");
    return { topic: s.trim(), partitions: null };
  }
  const topic = s.slice(0, i).trim();
  const parts = s
    .slice(i + 1)
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (topic === "" || parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw argError(`--topic ${JSON.stringify(s)} is not topic or topic:partition,partition,...`);
  }
  return { topic, partitions: [...new Set(parts.map(Number))].sort((a, b) => a - b) };
}

async function partitionsToReset(
  client: KafkaClient,
  committed: CommittedOffset[],
  g: GroupDescription | null,
  opts: Opts,
): Promise<{ topic: string; partition: number }[]> {
  if (opts.allTopics) {
    // Kafka: the partitions with committed offsets plus those assigned to members (none here: the group is inactive).
    const set = new Map<string, { topic: string; partition: number }>();
    for (const c of committed) set.set(`${c.topic}\u0000${c.partition}`, { topic: c.topic, partition: c.partition });
    for (const m of g?.members ?? [])
      for (const a of m.assignment)
        for (const p of a.partitions) set.set(`${a.topic}\u0000${p}`, { topic: a.topic, partition: p });
    return [...set.values()].sort(byTopicPartition);
  }
  const result = new Map<string, { topic: string; partition: number }>();
  for (const spec of opts.topic.map(parseTopicSpec)) {
    const [meta] = await client.metadata([spec.topic]);
    if (!meta || meta.errorCode !== ErrorCode.NONE) {
      throw new ConsumerGroupsError(
        "MR_CLI_UNKNOWN_TOPIC",
        `topic '${spec.topic}' does not exist${meta ? ` (${errorName(meta.errorCode)})` : ""}`,
      );
    }
    const existing = new Set(meta.partitions.map((p) => p.partition));
    for (const p of spec.partitions ?? [...existing]) {
      if (!existing.has(p))
        throw new ConsumerGroupsError(
          "MR_CLI_UNKNOWN_PARTITION",
          `topic '${spec.topic}' has no partition ${p} (it has ${existing.size})`,
        );
      result.set(`${spec.topic}\u0000${p}`, { topic: spec.topic, partition: p });
    }
  }
  return [...result.values()].sort(byTopicPartition);
}

async function resetOffsets(admin: GroupAdmin, client: KafkaClient, groups: string[], opts: Opts): Promise<void> {
  if (!opts.dryRun && !opts.execute) {
    err(
      "WARN: No action will be performed as the --execute option is missing." +
        " Add --execute to reset the offsets, or --dry-run to say that only a preview is wanted.",
    );
  }
  const plans: { groupId: string; offsets: { topic: string; partition: number; offset: bigint }[] }[] = [];
  for (const groupId of groups) {
    const g = await admin.describeGroup(groupId);
    if (g.protocolType !== "" && g.protocolType !== CONSUMER_PROTOCOL_TYPE) {
      throw new ConsumerGroupsError(
        "MR_CLI_NOT_CONSUMER_GROUP",
        `group '${groupId}' is not a consumer group (its protocol type is '${g.protocolType}')`,
      );
    }
    // Kafka resets only inactive groups: Empty, or Dead (unknown; the reset creates it).
    if (g.state !== "Empty" && g.state !== "Dead") {
      throw new ConsumerGroupsError(
        "MR_CLI_GROUP_ACTIVE",
        `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${g.state}` +
          ` (${g.members.length} active member${g.members.length === 1 ? "" : "s"}); stop its consumers first.`,
      );
    }
    const committed = g.state === "Dead" ? [] : await admin.fetchOffsets(groupId);
    const committedAt = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
    const tps = await partitionsToReset(client, committed, g.state === "Dead" ? null : g, opts);
    const offsets: { topic: string; partition: number; offset: bigint }[] = [];
    for (const tp of tps)
      offsets.push({
        ...tp,
        offset: await newOffset(client, tp, committedAt.get(`${tp.topic}\u0000${tp.partition}`), opts),
      });
    plans.push({ groupId, offsets });
  }
  if (opts.execute) {
    for (const p of plans) {
      if (p.offsets.length === 0) continue;
      try {
        await admin.commitOffsets(p.groupId, p.offsets);
      } catch (e) {
        // A consumer joined since the check: the coordinator refuses a commit from outside the group (all or nothing).
        const joined: number[] = [
          ErrorCode.UNKNOWN_MEMBER_ID,
          ErrorCode.ILLEGAL_GENERATION,
          ErrorCode.REBALANCE_IN_PROGRESS,
        ];
        if (e instanceof KafkaError && joined.includes(e.kafkaCode)) {
          throw new ConsumerGroupsError(
            "MR_CLI_GROUP_ACTIVE",
            `group '${p.groupId}' gained active members during the reset (${errorName(e.kafkaCode)});` +
              ` no offsets of it were changed`,
          );
        }
        throw e;
      }
    }
  }
  // Kafka's printOffsetsToReset.
  const format = (a: string, b: string, c: string | number, d: string | bigint) =>
    `${l(a, 30)} ${l(b, 30)} ${l(c, 10)} ${l(d, 15)}`;
  if (plans.some((p) => p.offsets.length > 0)) out("\n" + format("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
  for (const p of plans) for (const o of p.offsets) out(format(p.groupId, o.topic, o.partition, o.offset));
}

async function newOffset(
  client: KafkaClient,
  tp: { topic: string; partition: number },
  current: bigint | undefined,
  opts: Opts,
): Promise<bigint> {
  const earliest = () => client.listOffset(tp.topic, tp.partition, EARLIEST);
  const latest = () => client.listOffset(tp.topic, tp.partition, LATEST);
  /** Kafka's checkOffsetsRange: a target outside [earliest, latest] is moved to the nearest end, with a note. */
  const clamp = async (target: bigint): Promise<bigint> => {
    const [lo, hi] = [await earliest(), await latest()];
    if (target > hi) {
      err(
        `New offset (${target}) is higher than latest offset for topic partition ${tp.topic}-${tp.partition}.` +
          ` Value will be set to ${hi}`,
      );
      return hi;
    }
    if (target < lo) {
      err(
        `New offset (${target}) is lower than earliest offset for topic partition ${tp.topic}-${tp.partition}.` +
          ` Value will be set to ${lo}`,
      );
      return lo;
    }
    return target;
  };
  if (opts.toEarliest) return earliest();
  if (opts.toLatest) return latest();
  if (opts.toOffset !== undefined) return clamp(parseInteger("--to-offset", opts.toOffset));
  if (opts.toCurrent) return current ?? latest();
  if (opts.shiftBy !== undefined) {
    if (current === undefined) {
      throw new ConsumerGroupsError(
        "MR_CLI_NO_COMMITTED_OFFSET",
        `cannot shift the offset of ${tp.topic}-${tp.partition}: the group has no committed offset for it`,
      );
    }
    return clamp(current + parseInteger("--shift-by", opts.shiftBy));
  }
  throw argError("no reset scenario given");
}

// ---------------------------------------------------------------- --delete

async function deleteGroups(admin: GroupAdmin, groups: string[]): Promise<void> {
  if (groups.length === 0) return;
  const results = await admin.deleteGroups(groups);
  const ok = groups.filter((g) => results.get(g) === ErrorCode.NONE);
  const failed = groups.filter((g) => results.get(g) !== ErrorCode.NONE);
  if (ok.length > 0)
    out(`Deletion of requested consumer groups (${ok.map((g) => `'${g}'`).join(", ")}) was successful.`);
  if (failed.length === 0) return;
  const why = (code: number) =>
    code === ErrorCode.NON_EMPTY_GROUP
      ? "the group is not empty (it has active members)"
      : code === ErrorCode.GROUP_ID_NOT_FOUND
        ? "the group does not exist"
        : errorName(code);
  const codes = new Set(failed.map((g) => results.get(g) ?? ErrorCode.UNKNOWN_SERVER_ERROR));
  const code =
    codes.size === 1 && codes.has(ErrorCode.NON_EMPTY_GROUP)
      ? "MR_CLI_GROUP_NOT_EMPTY"
      : codes.size === 1 && codes.has(ErrorCode.GROUP_ID_NOT_FOUND)
        ? "MR_CLI_GROUP_NOT_FOUND"
        : "MR_CLI_GROUP_DELETE_FAILED";
  throw new ConsumerGroupsError(
    code,
    `Deletion of consumer group${failed.length === 1 ? "" : "s"} failed: ` +
      failed.map((g) => `'${g}': ${why(results.get(g) ?? ErrorCode.UNKNOWN_SERVER_ERROR)}`).join("; "),
  );
}
