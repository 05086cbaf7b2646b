/**
 * Inputs other than Kafka: queueStream (tests), socketTextStream (a TCP server's
 * lines, like Spark's, e.g. `nc -lk 9999`) and textFileStream (new files of a
 * directory).
 */
import { createConnection, type Socket } from "node:net";
import { readdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { InputDStream } from "./dstream.js";
import type { GraphHost } from "./graph.js";
import { RDD } from "./rdd.js";

export class QueueInputDStream<T> extends InputDStream<T> {
  constructor(
    ssc: GraphHost,
    private readonly queue: Array<RDD<T> | T[]>,
    private readonly oneAtATime: boolean,
    private readonly defaultRDD?: RDD<T> | T[],
  ) {
    super(ssc, "queueStream");
  }
  override recoverable(): boolean {
    return false;
  }
  async prepare(): Promise<unknown> {
    if (this.queue.length === 0) return this.defaultRDD ? [this.defaultRDD] : [];
    return this.oneAtATime ? [this.queue.shift()!] : this.queue.splice(0, this.queue.length);
  }
  override recordCount(info: unknown): number | undefined {
    return (info as Array<RDD<T> | T[]> | undefined)?.reduce((n, x) => n + (Array.isArray(x) ? x.length : 0), 0);
  }
  protected rddFor(_time: number, info: unknown): RDD<T> {
    const items = (info as Array<RDD<T> | T[]>).map((x) => (Array.isArray(x) ? RDD.of(this.env(), [x]) : x));
    if (items.length === 0) return RDD.empty(this.env());
    return items.length === 1 ? items[0]! : items[0]!.union(...items.slice(1));
  }
}

export class SocketTextInputDStream extends InputDStream<string> {
  private socket: Socket | undefined;
  private buffer: string[] = [];
  private partial = "";
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    ssc: GraphHost,
    private readonly host: string,
    private readonly port: number,
  ) {
    super(ssc, "socketTextStream");
  }

  override async start(): Promise<void> {
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const s = createConnection({ host: this.host, port: this.port });
    this.socket = s;
    s.setEncoding("utf8");
    s.on("data", (chunk: string) => {
      const text = this.partial + chunk;
      const lines = text.split("\n");
      this.partial = lines.pop() ?? "";
      for (const l of lines) this.buffer.push(l.endsWith("\r") ? l.slice(0, -1) : l);
    });
    s.on("error", (e) => this.ssc.log(`socketTextStream ${this.host}:${this.port}: ${e.message}`));
    s.on("close", () => {
      if (this.partial) this.buffer.push(this.partial);
      this.partial = "";
      if (!this.closed) this.retry = setTimeout(() => this.connect(), 200);
    });
  }

  override async stop(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
  }

  async prepare(): Promise<unknown> {
    const lines = this.buffer;
    this.buffer = [];
    return lines;
  }
  override recordCount(info: unknown): number | undefined {
    return (info as string[] | undefined)?.length;
  }
  protected rddFor(_time: number, info: unknown): RDD<string> {
    return RDD.of(this.env(), [info as string[]], "socketTextStream");
  }
}

export class FileInputDStream extends InputDStream<string> {
  private readonly seen = new Set<string>();
  private since = 0;

  constructor(
    ssc: GraphHost,
    private readonly dir: string,
  ) {
    super(ssc, "textFileStream");
  }

  override async start(): Promise<void> {
    const restored = [...this.infos.entries()];
    for (const [, files] of restored) for (const f of files as string[]) this.seen.add(f);
    this.since = restored.length ? Math.max(...restored.map(([t]) => t)) : Date.now();
  }

  async prepare(time: number): Promise<unknown> {
    const fresh: string[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    for (const n of names.sort()) {
      if (n.startsWith(".") || n.startsWith("_")) continue;
      const p = join(this.dir, n);
      let st: Stats;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (!st.isFile() || this.seen.has(p) || st.mtimeMs <= this.since || st.mtimeMs > Math.max(time, Date.now()))
        continue;
      this.seen.add(p);
      fresh.push(p);
    }
    return fresh;
  }
  protected rddFor(_time: number, info: unknown): RDD<string> {
    const files = info as string[];
    return new RDD<string>(
      this.env(),
      async () =>
        files.map((f) => {
          const text = readFileSync(f, "utf8");
          const lines = text.split("\n");
          if (lines[lines.length - 1] === "") lines.pop();
          return lines;
        }),
      "textFileStream",
    );
  }
}
