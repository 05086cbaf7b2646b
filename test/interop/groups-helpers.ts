/**
 * Plumbing for the consumer-group interop tests (groups-*.test.ts): a child
 * process whose output lines are watched while it runs (consumers that keep
 * running across rebalances and kills), producing numbered records with
 * millrace's own client, and reading a group's committed offsets and
 * members through the wire protocol.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { KafkaClient } from "../../src/client/client.js";
import { KafkaConnection } from "../../src/client/connection.js";
import { ApiKey } from "../../src/protocol/apis.js";
import type { Message } from "../../src/protocol/codec.js";
import { encodeBatch } from "../../src/protocol/records/records.js";
import { REPO_ROOT, tail } from "./helpers.js";

/**
 * A running child whose stdout and stderr lines are collected as they come.
 * `until` waits, bounded, for a condition over what has arrived; it fails
 * with the child's recent output if the child exits first or time runs out.
 */
export class Watched {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private waiters = new Set<() => void>();
  private partialOut = "";
  private partialErr = "";
  private parsed: unknown[] = [];
  private parsedUpTo = 0;
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    this.child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdin!.on("error", () => {});
    this.child.stdout!.setEncoding("utf8").on("data", (t: string) => {
      this.partialOut = this.split(this.partialOut + t, this.out);
      this.wake();
    });
    this.child.stderr!.setEncoding("utf8").on("data", (t: string) => {
      this.partialErr = this.split(this.partialErr + t, this.err);
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once("error", (e) => {
        this.err.push(`cannot run ${cmd}: ${e.message}`);
        this.exitStatus = { code: -1, signal: null };
        resolve(this.exitStatus);
        this.wake();
      });
      this.child.once("close", (code, signal) => {
        if (this.partialOut) this.out.push(this.partialOut);
        if (this.partialErr) this.err.push(this.partialErr);
        this.partialOut = this.partialErr = "";
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
        this.wake();
      });
    });
  }

  private split(text: string, into: string[]): string {
    const parts = text.split("\n");
    const rest = parts.pop()!;
    into.push(...parts);
    return rest;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get running(): boolean {
    return this.exitStatus === null;
  }

  /** stdout lines parsed as JSON (lines that are not JSON are skipped); parsed once, as they arrive. */
  events<T = Record<string, unknown>>(): readonly T[] {
    for (; this.parsedUpTo < this.out.length; this.parsedUpTo++) {
      const l = this.out[this.parsedUpTo];
      if (!l.startsWith("{")) continue;
      try {
        this.parsed.push(JSON.parse(l));
      } catch {
        // not an event line
      }
    }
    return this.parsed as T[];
  }

  /** Waits until `check` returns a value other than undefined/false; resolves with it. */
  until<T>(what: string, timeoutMs: number, check: () => T | undefined | false): Promise<T> {
    return Watched.until(what, timeoutMs, [this], check);
  }

  /**
   * Waits until `check`, a condition over the output of all of `procs`,
   * returns a value other than undefined/false: it is evaluated whenever any
   * of them writes. Fails if one of them exits first, or when time runs out.
   */
  static until<T>(what: string, timeoutMs: number, procs: Watched[], check: () => T | undefined | false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const recent = () => procs.map((p) => p.recent()).join("\n");
      const done = () => {
        clearTimeout(timer);
        for (const p of procs) p.waiters.delete(probe);
      };
      const probe = () => {
        let v: T | undefined | false;
        try {
          v = check();
        } catch (e) {
          done();
          reject(e as Error);
          return;
        }
        const gone = procs.find((p) => p.exitStatus !== null);
        if (v !== undefined && v !== false) {
          done();
          resolve(v);
        } else if (gone) {
          done();
          reject(
            new Error(
              `${gone.name} exited (${gone.exitStatus!.code ?? gone.exitStatus!.signal}) before: ${what}\n${recent()}`,
            ),
          );
        }
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`not within ${timeoutMs} ms: ${what}\n${recent()}`));
      }, timeoutMs);
      for (const p of procs) p.waiters.add(probe);
      probe();
    });
  }

  send(line: string): void {
    this.child.stdin!.write(line + "\n");
  }

  /** Sends `signal` (if still running) and waits, bounded, for the exit. */
  async kill(
    signal: NodeJS.Signals = "SIGTERM",
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitStatus === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.exited,
      new Promise<null>((res) => (timer = setTimeout(() => res(null), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (r === null) {
      this.child.kill("SIGKILL");
      await this.exited;
      assert.fail(`${this.name} did not exit within ${timeoutMs} ms of ${signal}\n${this.recent()}`);
    }
    return r;
  }

  /** Waits, bounded, for the child to exit on its own. */
  async exit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.exited,
      new Promise<null>((res) => (timer = setTimeout(() => res(null), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (r === null) {
      this.child.kill("SIGKILL");
      await this.exited;
      assert.fail(`${this.name} did not exit within ${timeoutMs} ms\n${this.recent()}`);
    }
    return r;
  }

  recent(): string {
    return (
      `--- ${this.name} stderr:\n${tail(this.err.join("\n"), 30)}\n--- ${this.name} ` +
      `stdout:\n${tail(this.out.join("\n"), 15)}`
    );
  }
}

/** The value of record i: the partition is i % partitions, the value names both. */
export function recordValue(prefix: string, i: number): string {
  return `${prefix}-${i}`;
}

/**
 * Produces records i = from .. from+n-1 with millrace's client, record i to
 * partition i % partitions, in batches of up to 500, acks=all. Returns the
 * values sent per partition, in offset order.
 */
export async function produceNumbered(
  bootstrap: string,
  topic: string,
  partitions: number,
  from: number,
  n: number,
  prefix = topic,
): Promise<Map<number, string[]>> {
  const client = await KafkaClient.connect(bootstrap);
  const sent = new Map<number, string[]>();
  try {
    const byPartition = new Map<number, string[]>();
    for (let i = from; i < from + n; i++) {
      const p = i % partitions;
      let l = byPartition.get(p);
      if (!l) byPartition.set(p, (l = []));
      l.push(recordValue(prefix, i));
    }
    for (const [p, values] of byPartition) {
      for (let k = 0; k < values.length; k += 500) {
        const chunk = values.slice(k, k + 500);
        await client.produce(
          topic,
          p,
          encodeBatch({ records: chunk.map((v) => ({ key: null, value: Buffer.from(v) })) }),
          -1,
        );
      }
      sent.set(p, values);
    }
  } finally {
    await client.close();
  }
  return sent;
}

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const client = await KafkaClient.connect(bootstrap);
  try {
    await client.createTopic(topic, partitions);
  } finally {
    await client.close();
  }
}

/** The group's committed offsets for `topic` (OffsetFetch), partition -> offset (-1 for none). */
export async function committedOffsets(
  bootstrap: string,
  group: string,
  topic: string,
  partitions: number,
): Promise<Map<number, bigint>> {
  const conn = await KafkaConnection.open(bootstrap, { clientId: "millrace-groups-check" });
  try {
    const v = conn.version(ApiKey.OffsetFetch, 7);
    const res = await conn.send(ApiKey.OffsetFetch, v, {
      groupId: group,
      topics: [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, p) => p) }],
      requireStable: false,
    });
    assert.equal(res.errorCode ?? 0, 0, `OffsetFetch for ${group}: error ${res.errorCode}`);
    const out = new Map<number, bigint>();
    for (const t of res.topics as Message[])
      for (const p of t.partitions as Message[]) out.set(p.partitionIndex, p.committedOffset);
    return out;
  } finally {
    conn.close();
  }
}

/** DescribeGroups for one group: its state and member count. */
export async function describeGroup(
  bootstrap: string,
  group: string,
): Promise<{ state: string; members: number; protocol: string }> {
  const conn = await KafkaConnection.open(bootstrap, { clientId: "millrace-groups-check" });
  try {
    const res = await conn.request(ApiKey.DescribeGroups, { groups: [group], includeAuthorizedOperations: false });
    const g = (res.groups as Message[])[0];
    assert.equal(g.errorCode, 0, `DescribeGroups ${group}: error ${g.errorCode}`);
    return { state: g.groupState, members: (g.members as Message[]).length, protocol: g.protocolData };
  } finally {
    conn.close();
  }
}

/** Sorted, for stable comparisons of partition lists. */
export function sorted(xs: Iterable<number>): number[] {
  return [...xs].sort((a, b) => a - b);
}

export interface Consumed {
  partition: number;
  offset: number;
  value: string;
}

/**
 * The resume scenario every group client goes through: a 4-partition topic
 * with 1,000 records; `run(expect)` (a fresh consumer in `group`, which
 * consumes `expect` records, commits the client's way and closes) gets all of
 * them, and the group's committed offsets are each partition's end; 600 more
 * records; a second `run` gets exactly those, each partition starting at its
 * committed offset -- no committed record comes again -- and commits the new end.
 */
export async function checkResume(
  bootstrap: string,
  topic: string,
  group: string,
  run: (expect: number, round: number) => Promise<Consumed[]>,
): Promise<void> {
  await createTopic(bootstrap, topic, 4);
  const rounds = [
    { from: 0, n: 1_000 },
    { from: 1_000, n: 600 },
  ];
  const ends = [0, 0, 0, 0];
  for (const [round, { from, n }] of rounds.entries()) {
    const sent = await produceNumbered(bootstrap, topic, 4, from, n);
    const got = await run(n, round);
    assert.equal(
      got.length,
      n,
      `run ${round + 1}: consumed ${got.length} records, ${n} were produced since the previous run`,
    );
    for (let p = 0; p < 4; p++) {
      const mine = got.filter((r) => r.partition === p);
      assert.deepEqual(
        mine.map((r) => r.offset),
        sent.get(p)!.map((_, i) => ends[p] + i),
        `run ${round + 1}, partition ${p}: offsets (the run must start at the committed offset ${ends[p]})`,
      );
      assert.deepEqual(
        mine.map((r) => r.value),
        sent.get(p),
        `run ${round + 1}, partition ${p}: values`,
      );
      ends[p] += sent.get(p)!.length;
    }
    const committed = await committedOffsets(bootstrap, group, topic, 4);
    assert.deepEqual(
      sorted(committed.keys()).map((p) => committed.get(p)),
      ends.map(BigInt),
      `run ${round + 1}: the group's committed offsets`,
    );
  }
}
