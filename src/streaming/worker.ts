/**
 * Worker threads for `local[N]` (N >= 2). Each worker imports the application
 * module with the worker flag set: the StreamingContext it builds is
 * "definition only" (no checkpoint, inputs, timers), and every narrow
 * per-partition operation of the graph registers its partition function under a
 * deterministic id (graph-construction order), so the driver can send
 * (task chain, partition) and the worker runs the same closures. Data crosses by
 * structured clone (Uint8Arrays become Buffers again); Kafka records cross packed
 * into one transferred buffer.
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Logger } from "pino";
import { TaskFailedError } from "./errors.js";

/** true inside a millrace streaming worker thread */
export function isStreamingWorker(): boolean {
  return !isMainThread && (workerData as { millraceWorker?: boolean } | null)?.millraceWorker === true;
}

/**
 * a partition function: (items, partition index) -> items; `report` gets side information for the driver
 * (malformed records)
 */
export type PartFn = (items: unknown[], index: number, report: (r: unknown) => void) => unknown[];

/** the per-context registry of partition functions; ids follow graph-construction order */
export class TaskRegistry {
  readonly fns: PartFn[] = [];
  /** driver-side handlers of the reports of a task (by id) */
  readonly onReports = new Map<
    number,
    (reports: unknown[], source: unknown[][], batchTime: number | undefined) => Promise<void>
  >();
  register(fn: PartFn): number {
    this.fns.push(fn);
    return this.fns.length - 1;
  }
}

/** converts Uint8Arrays (what Buffers become after a structured clone) back to Buffers, in arrays and plain objects */
export function restoreBuffers(x: unknown, depth = 0): unknown {
  if (x === null || typeof x !== "object" || depth > 8) return x;
  if (x instanceof Uint8Array) return Buffer.isBuffer(x) ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v !== null && typeof v === "object") x[i] = restoreBuffers(v, depth + 1);
    }
    return x;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return x;
  const o = x as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (v !== null && typeof v === "object") o[k] = restoreBuffers(v, depth + 1);
  }
  return x;
}

// ---- packed Kafka records ----

interface RawRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint | number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

export interface PackedRecords {
  __packed: 1;
  topic: string;
  partition: number;
  offsets: Float64Array;
  timestamps: Float64Array;
  /** per record: key length, value length (-1 = null) */
  lens: Int32Array;
  bytes: Uint8Array;
  headers: (RawRecord["headers"] | 0)[];
}

export function packRecords(recs: RawRecord[], topic: string, partition: number): PackedRecords {
  const n = recs.length;
  const offsets = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const lens = new Int32Array(2 * n);
  let size = 0;
  for (const r of recs) size += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const bytes = new Uint8Array(size);
  const headers: PackedRecords["headers"] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const r = recs[i]!;
    offsets[i] = Number(r.offset);
    timestamps[i] = Number(r.timestamp);
    for (const [j, b] of [r.key, r.value].entries()) {
      if (b === null || b === undefined) lens[2 * i + j] = -1;
      else {
        bytes.set(b, at);
        at += b.length;
        lens[2 * i + j] = b.length;
      }
    }
    headers[i] = r.headers.length ? r.headers : 0;
  }
  return { __packed: 1, topic, partition, offsets, timestamps, lens, bytes, headers };
}

export function unpackRecords(p: PackedRecords): RawRecord[] {
  const buf = Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
  const out: RawRecord[] = new Array(p.offsets.length);
  let at = 0;
  for (let i = 0; i < p.offsets.length; i++) {
    const kl = p.lens[2 * i]!;
    const vl = p.lens[2 * i + 1]!;
    const key = kl < 0 ? null : buf.subarray(at, (at += kl));
    const value = vl < 0 ? null : buf.subarray(at, (at += vl));
    const h = p.headers[i];
    out[i] = {
      topic: p.topic,
      partition: p.partition,
      offset: BigInt(p.offsets[i]!),
      timestamp: p.timestamps[i]!,
      key,
      value,
      headers: h ? (restoreBuffers(h) as RawRecord["headers"]) : [],
    };
  }
  return out;
}

function isPacked(x: unknown): x is PackedRecords {
  return typeof x === "object" && x !== null && (x as PackedRecords).__packed === 1;
}

/** marks a source partition to be sent packed (raw Kafka records) */
export const PACK = Symbol("millrace.pack");

// ---- the driver side ----

interface Pending {
  resolve: (v: { out: unknown[]; reports: unknown[] }) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  pending: Map<number, Pending>;
}

export interface WorkerPoolOptions {
  size: number;
  appModule: string;
  appName: string;
  taskCount: () => number;
  logger: Logger;
}

/** a pool of worker threads that run task chains over partitions */
export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Array<() => void> = [];
  private seq = 0;
  private closed = false;
  private dead: Error | undefined;

  constructor(private readonly o: WorkerPoolOptions) {}

  /** starts the workers and waits until each has loaded the app module */
  async start(): Promise<void> {
    const ts = import.meta.url.endsWith(".ts");
    const entry = new URL(`./worker-main.${ts ? "ts" : "js"}`, import.meta.url);
    // under tsx, workers do not get its loader hooks from execArgv (Node 20): the worker registers them, then the
    // app loader of `millrace submit` (worker-loader.ts: the app as an ES module, "millrace" resolved), then its entry
    const appLoader = process.env.MILLRACE_APP_LOADER;
    const code =
      ts || appLoader
        ? `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((t) => { t.register(); })` +
          (appLoader ? `.then(() => import(${JSON.stringify(appLoader)}))` : "") +
          `.then(() => import(${JSON.stringify(entry.href)}))` +
          `.catch((e) => { require("node:worker_threads").parentPort.postMessage({ loadError: String(e && ` +
          `e.stack || e) }); })`
        : undefined;
    const starts: Promise<void>[] = [];
    for (let i = 0; i < this.o.size; i++) {
      const worker = new Worker(code ?? entry, {
        eval: code !== undefined,
        // the app module runs again in the worker: it sees the driver's arguments (process.argv.slice(2))
        argv: process.argv.slice(2),
        // a larger young generation than the default: tasks allocate many short-lived records (fewer scavenges)
        resourceLimits: { maxYoungGenerationSizeMb: 64 },
        workerData: {
          millraceWorker: true,
          appModule: this.o.appModule,
          appName: this.o.appName,
          taskCount: this.o.taskCount(),
        },
        stdout: false,
        stderr: false,
      });
      const slot: Slot = { worker, busy: false, pending: new Map() };
      this.slots.push(slot);
      starts.push(
        new Promise<void>((resolve, reject) => {
          const onMsg = (m: { ready?: boolean; loadError?: string }) => {
            if (m.ready) resolve();
            else if (m.loadError) reject(new Error(m.loadError));
          };
          worker.once("message", onMsg);
          worker.once("error", reject);
          worker.once("exit", (code) =>
            reject(new Error(`worker exited with code ${code} while loading the app module`)),
          );
        }),
      );
      worker.on(
        "message",
        (m: { id?: number; out?: unknown[]; reports?: unknown[]; error?: { message: string; stack?: string } }) => {
          if (m.id === undefined) return;
          const p = slot.pending.get(m.id);
          if (!p) return;
          slot.pending.delete(m.id);
          slot.busy = false;
          if (m.error) {
            const e = new Error(m.error.message);
            if (m.error.stack) e.stack = m.error.stack;
            p.reject(e);
          } else p.resolve({ out: restoreBuffers(m.out) as unknown[], reports: m.reports ?? [] });
          this.queue.shift()?.();
        },
      );
      worker.on("error", (e) => this.crash(slot, e));
      worker.on("exit", (code) => {
        if (!this.closed) this.crash(slot, new Error(`worker thread exited with code ${code}`));
      });
    }
    try {
      await Promise.all(starts);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  private crash(slot: Slot, e: Error): void {
    this.dead ??= e;
    for (const p of slot.pending.values()) p.reject(e);
    slot.pending.clear();
  }

  private acquire(): Promise<Slot> {
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) =>
      this.queue.push(() => {
        const s = this.slots.find((x) => !x.busy)!;
        s.busy = true;
        resolve(s);
      }),
    );
  }

  /** runs `chain` (task ids) over every partition of `source`, one task per partition */
  async runChain(
    chain: number[],
    source: Promise<unknown[]>[],
    op: string,
    batchTime: number | undefined,
    packed: boolean,
  ): Promise<{ parts: unknown[][]; reports: unknown[] }> {
    const results = await Promise.all(
      source.map(async (itemsP, index) => {
        const items = await itemsP;
        if (this.dead) throw new TaskFailedError(op, batchTime, this.dead);
        const slot = await this.acquire();
        const id = ++this.seq;
        let part: unknown = items;
        const transfer: ArrayBuffer[] = [];
        if (packed) {
          const r = items as RawRecord[];
          const pk = packRecords(r, r[0]?.topic ?? "", r[0]?.partition ?? 0);
          transfer.push(
            pk.offsets.buffer as ArrayBuffer,
            pk.timestamps.buffer as ArrayBuffer,
            pk.lens.buffer as ArrayBuffer,
            pk.bytes.buffer as ArrayBuffer,
          );
          part = pk;
        }
        const res = await new Promise<{ out: unknown[]; reports: unknown[] }>((resolve, reject) => {
          slot.pending.set(id, { resolve, reject });
          try {
            slot.worker.postMessage({ id, chain, part, index }, transfer);
          } catch (e) {
            slot.pending.delete(id);
            slot.busy = false;
            this.queue.shift()?.();
            reject(e);
          }
        }).catch((e) => {
          throw new TaskFailedError(op, batchTime, e);
        });
        return { out: res.out, reports: res.reports.map((r) => ({ index, r })) };
      }),
    );
    return { parts: results.map((x) => x.out), reports: results.flatMap((x) => x.reports) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate().catch(() => 0)));
    this.slots = [];
  }
}

// ---- the worker side ----

/** set by the context constructed in a worker thread (the first, or the one named like the driver's) */
let workerRegistry: { appName: string; tasks: TaskRegistry; started: () => void }[] = [];
let startedSignal: (() => void) | undefined;

/** @internal a definition-only context announces itself */
export function registerWorkerContext(appName: string, tasks: TaskRegistry): () => void {
  const entry = { appName, tasks, started: () => startedSignal?.() };
  workerRegistry.push(entry);
  return entry.started;
}

/** @internal the worker thread's main loop (worker-main.ts) */
export async function workerMain(): Promise<void> {
  const data = workerData as { appModule: string; appName: string; taskCount: number };
  const port = parentPort!;
  let tasks: TaskRegistry | undefined;
  try {
    const started = new Promise<void>((r) => (startedSignal = r));
    const loaded = import(data.appModule);
    loaded.catch(() => {});
    await Promise.race([loaded, started]);
    const ctx = workerRegistry.find((c) => c.appName === data.appName) ?? workerRegistry[0];
    if (!ctx) throw new Error(`the app module ${data.appModule} built no StreamingContext`);
    if (ctx.tasks.fns.length !== data.taskCount) {
      throw new Error(
        `the app module built a different graph in the worker (${ctx.tasks.fns.length} tasks, the driver has ` +
          `${data.taskCount})`,
      );
    }
    tasks = ctx.tasks;
  } catch (e) {
    port.postMessage({ loadError: e instanceof Error ? e.message : String(e) });
    return;
  }
  workerRegistry = [];
  const reg = tasks;
  port.on("message", (m: { id: number; chain: number[]; part: unknown; index: number }) => {
    const reports: unknown[] = [];
    try {
      let items: unknown[] = isPacked(m.part) ? unpackRecords(m.part) : (restoreBuffers(m.part) as unknown[]);
      for (const t of m.chain) {
        const fn = reg.fns[t];
        if (!fn) throw new Error(`unknown task ${t}`);
        items = fn(items, m.index, (r) => reports.push({ task: t, r }));
      }
      port.postMessage({ id: m.id, out: items, reports });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ id: m.id, error: { message: err.message, stack: err.stack } });
    }
  });
  port.postMessage({ ready: true });
}
