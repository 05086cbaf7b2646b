/**
 * Shared plumbing for the interop suite: prerequisite checks for third-party
 * clients, bounded child processes, a broker run as its own process (for
 * restarts), and reading a partition back with millrace's own client.
 *
 * A missing client FAILS its test with a message naming what to install,
 * unless MILLRACE_INTEROP_ALLOW_MISSING=1, which turns it into a skip.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KafkaClient } from "../../src/client/client.js";
import { decodeRecordSet, type DecodedBatch } from "../../src/protocol/records/records.js";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const INTEROP_DIR = dirname(fileURLToPath(import.meta.url));
export const ALLOW_MISSING = process.env.MILLRACE_INTEROP_ALLOW_MISSING === "1";
/** The Debian python3-kafka / python3-confluent-kafka modules live in the system interpreter. */
export const PYTHON = process.env.MILLRACE_INTEROP_PYTHON ?? "/usr/bin/python3";

const SKIP_HINT = "(set MILLRACE_INTEROP_ALLOW_MISSING=1 to skip instead of failing)";

/** null when `cmd args` runs and exits 0, else a message naming the Debian package. */
export function missingCommand(cmd: string, args: string[], debianPackage: string): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
  if (r.error || r.status !== 0) {
    const why = r.error
      ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message)
      : (r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n").pop();
    return (
      `${cmd} is not usable (${why}): install the Debian package ${debianPackage} (apt-get ` +
      `install ${debianPackage})`
    );
  }
  return null;
}

/** null when the system Python can import `module`, else a message naming the Debian package. */
export function missingPythonModule(module: string, debianPackage: string): string | null {
  const r = spawnSync(PYTHON, ["-c", `import ${module}`], { encoding: "utf8", timeout: 30_000 });
  if (r.error || r.status !== 0) {
    const why = r.error
      ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message)
      : (r.stderr || "").trim().split("\n").pop();
    return (
      `${PYTHON} cannot import ${module} (${why}): install the Debian package ${debianPackage} ` +
      `(apt-get install ${debianPackage})`
    );
  }
  return null;
}

/** Imports an npm client, or null plus a message when it is not installed. */
export async function importClient<T>(name: string): Promise<{ mod: T | null; missing: string | null }> {
  try {
    return { mod: (await import(name)) as T, missing: null };
  } catch (e) {
    return {
      mod: null,
      missing: `the npm package ${name} cannot be loaded (${(e as Error).message}): run npm ci (it is a devDependency)`,
    };
  }
}

/** node:test options for a test that needs a client: skipped only when allowed. */
export function needs(missing: string | null, timeout: number): { timeout: number; skip?: string } {
  return ALLOW_MISSING && missing ? { timeout, skip: missing } : { timeout };
}

/** First statement of such a test: fails with the message when the client is missing. */
export function assertPresent(missing: string | null): void {
  if (missing) assert.fail(`${missing} ${SKIP_HINT}`);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command asynchronously (the in-process broker shares this event
 * loop, so spawnSync would deadlock it), with stdin from `input`, killing it
 * after `timeoutMs`.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? REPO_ROOT,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const res = {
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      if (timedOut)
        reject(new Error(`${describe(cmd, args)} did not finish within ${timeoutMs} ms\n${tail(res.stderr)}`));
      else resolve(res);
    });
    child.stdin.on("error", () => {}); // a client that exits early closes its stdin
    child.stdin.end(opts.input ?? "");
  });
}

/** run(), asserting exit status 0; returns stdout. */
export async function runOk(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0)
    assert.fail(
      `${describe(cmd, args)} exited with ` +
        `${r.code ?? r.signal}\nstderr:\n${tail(r.stderr)}\nstdout:\n${tail(r.stdout)}`,
    );
  return r;
}

function describe(cmd: string, args: string[]): string {
  const shown = args.map((a) => (a.length > 80 ? a.slice(0, 77) + "..." : a));
  return [cmd, ...shown].join(" ");
}

export function tail(s: string, lines = 40): string {
  return s.split("\n").slice(-lines).join("\n");
}

/**
 * The broker as its own process (`millrace broker`), so a test can stop it
 * with a signal and start it again over the same log directory. Listens on an
 * ephemeral loopback port; the bootstrap address comes from its startup log.
 */
export class BrokerProcess {
  private output: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly bootstrap: string,
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {}

  static async start(dir: string, overrides: Record<string, string> = {}, timeoutMs = 60_000): Promise<BrokerProcess> {
    const props = { listeners: "PLAINTEXT://127.0.0.1:0", "log.dirs": dir, ...overrides };
    const args = [
      "bin/millrace.js",
      "broker",
      ...Object.entries(props).flatMap(([k, v]) => ["--override", `${k}=${v}`]),
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MILLRACE_LOG_LEVEL: "info" },
    });
    const lines: string[] = [];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    let resolveBootstrap!: (b: string) => void;
    const started = new Promise<string>((r) => (resolveBootstrap = r));
    let partial = "";
    const onText = (text: string) => {
      partial += text;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        try {
          const j = JSON.parse(line) as { msg?: string; bootstrap?: string };
          if (j.msg === "millrace broker started" && j.bootstrap) resolveBootstrap(j.bootstrap);
        } catch {
          // not a log line
        }
      }
    };
    child.stdout!.setEncoding("utf8").on("data", onText);
    child.stderr!.setEncoding("utf8").on("data", (t: string) => lines.push(...t.split("\n")));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      started.then((b) => ({ bootstrap: b })),
      exited.then((e) => ({ exit: e })),
      new Promise<{ timeout: true }>((r) => (timer = setTimeout(() => r({ timeout: true }), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!("bootstrap" in outcome)) {
      child.kill("SIGKILL");
      const why =
        "exit" in outcome
          ? `exited with ${outcome.exit.code ?? outcome.exit.signal}`
          : `did not start within ${timeoutMs} ms`;
      throw new Error(`millrace broker ${why}:\n${lines.slice(-40).join("\n")}`);
    }
    const bp = new BrokerProcess(child, outcome.bootstrap, exited);
    bp.output = lines;
    return bp;
  }

  /** The last lines the broker logged (for failure messages). */
  log(): string {
    return this.output.slice(-40).join("\n");
  }

  /** Sends `signal` and waits (bounded) for the process to exit. */
  async stop(
    signal: NodeJS.Signals = "SIGTERM",
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      this.exited,
      new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (res === null) {
      this.child.kill("SIGKILL");
      await this.exited;
      assert.fail(`the broker did not exit within ${timeoutMs} ms of ${signal}\n${this.log()}`);
    }
    return res;
  }
}

export interface ReadRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
  timestamp: bigint;
}

/**
 * Reads a whole partition (from 0 to its end offset) with millrace's client,
 * checking that offsets are dense. Returns the records and the decoded batches.
 */
export async function readPartition(
  client: KafkaClient,
  topic: string,
  partition: number,
): Promise<{ records: ReadRecord[]; batches: DecodedBatch[] }> {
  const end = await client.listOffset(topic, partition, -1n);
  const records: ReadRecord[] = [];
  const batches: DecodedBatch[] = [];
  let next = 0n;
  // Every fetch returns at least one whole batch, so this loop is bounded by the batch count.
  for (let guard = 0; next < end; guard++) {
    assert.ok(guard < 1_000_000, "readPartition made no progress");
    const f = await client.fetch(topic, partition, next, { maxBytes: 4 << 20, maxWaitMs: 0 });
    assert.ok(f.records, `${topic}-${partition}: no records at offset ${next} below the end offset ${end}`);
    for (const b of decodeRecordSet(f.records)) {
      const last = b.header.baseOffset + BigInt(b.header.lastOffsetDelta);
      if (last < next) continue;
      batches.push(b);
      for (const r of b.records) {
        if (r.offset < next) continue;
        assert.equal(r.offset, next, `${topic}-${partition}: offsets are not dense`);
        records.push({
          partition,
          offset: r.offset,
          key: r.key === null ? null : r.key.toString("utf8"),
          value: r.value === null ? null : r.value.toString("utf8"),
          headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString("utf8")]),
          timestamp: r.timestamp,
        });
        next = r.offset + 1n;
      }
      next = last + 1n > next ? last + 1n : next;
    }
  }
  return { records, batches };
}

/** Reads every partition of a topic with millrace's client. */
export async function readTopic(
  bootstrap: string,
  topic: string,
): Promise<{ records: ReadRecord[]; batches: DecodedBatch[]; partitions: number }> {
  const client = await KafkaClient.connect(bootstrap);
  try {
    const [meta] = await client.metadata([topic]);
    assert.equal(meta.errorCode, 0, `topic ${topic} is not known to the broker (error ${meta.errorCode})`);
    const records: ReadRecord[] = [];
    const batches: DecodedBatch[] = [];
    for (const p of meta.partitions) {
      const r = await readPartition(client, topic, p.partition);
      records.push(...r.records);
      batches.push(...r.batches);
    }
    return { records, batches, partitions: meta.partitions.length };
  } finally {
    await client.close();
  }
}
