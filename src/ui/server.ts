/**
 * The dashboard: one HTTP server (default 127.0.0.1:4040, Spark UI's port) with
 *   GET /                    the page (no build step: one HTML file with its script)
 *   GET /metrics             Prometheus exposition of the shared registry
 *   GET /api/snapshot        everything the page shows, as JSON
 *   GET /api/events          the same snapshot pushed live over server-sent events
 *   GET /api/messages?topic=&partition=&offset=&limit=
 *                            the message browser: records decoded by formats autoDecoder (JSON, AvroFlumeEvent, text)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { MillraceError } from "../errors.js";
import { autoDecoder, type AutoDecoded } from "../formats/decoders.js";
import { exposition } from "../metrics/registry.js";
import { PAGE_HTML } from "./page.js";
import type { DashboardSources } from "./sources.js";

export class DashboardError extends MillraceError {}

export interface DashboardOptions {
  host?: string;
  port?: number;
  /** ms between live updates (default 1000) */
  intervalMs?: number;
  /** the setting that chooses the port, named in the "in use" error */
  portSetting?: string;
}

export interface TopicRow {
  name: string;
  partitions: { partition: number; logStart: number; logEnd: number; size?: number; rate: number }[];
  messages: number;
  rate: number;
}

export interface Snapshot {
  time: number;
  title: string;
  topics: TopicRow[];
  groups: Awaited<ReturnType<NonNullable<DashboardSources["groups"]>>>;
  streaming: ReturnType<NonNullable<DashboardSources["streaming"]>>;
  agents: ReturnType<NonNullable<DashboardSources["agents"]>>;
  output: ReturnType<NonNullable<DashboardSources["output"]>> | null;
}

export interface DecodedMessage {
  partition: number;
  offset: string;
  timestamp: number;
  key: string | null;
  format: AutoDecoded["format"];
  headers?: Record<string, string>;
  value: unknown;
}

export class Dashboard {
  private server!: Server;
  private timer: NodeJS.Timeout | undefined;
  private readonly clients = new Set<ServerResponse>();
  private last: { time: number; ends: Map<string, number> } | undefined;
  private rates = new Map<string, number>();
  private latest: Snapshot | undefined;
  url = "";

  private constructor(
    private readonly sources: DashboardSources,
    private readonly opts: DashboardOptions,
  ) {}

  static async start(sources: DashboardSources, opts: DashboardOptions = {}): Promise<Dashboard> {
    const d = new Dashboard(sources, opts);
    await d.listen();
    return d;
  }

  private listen(): Promise<void> {
    const host = this.opts.host ?? "127.0.0.1";
    const port = this.opts.port ?? 4040;
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: (err as Error).message }));
      });
    });
    return new Promise((resolve, reject) => {
      this.server.once("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE") {
          reject(
            new DashboardError(
              "MR_UI_PORT_IN_USE",
              `dashboard port ${port} on ${host} is already in use;` +
                ` choose another with ${this.opts.portSetting ?? "--ui-port"}`,
            ),
          );
        } else reject(err);
      });
      this.server.listen(port, host, () => {
        const a = this.server.address();
        const p = typeof a === "object" && a ? a.port : port;
        this.url = `http://${host}:${p}`;
        this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 1000);
        this.timer.unref();
        resolve();
      });
    });
  }

  private async tick(): Promise<void> {
    if (this.clients.size === 0) return;
    let snap: Snapshot;
    try {
      snap = await this.snapshot();
    } catch {
      return;
    }
    const data = `event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`;
    for (const c of this.clients) c.write(data);
  }

  async snapshot(): Promise<Snapshot> {
    const s = this.sources;
    const now = Date.now();
    const topics: TopicRow[] = [];
    if (s.topics) {
      const ends = new Map<string, number>();
      const names = (await s.topics.listTopics())
        .filter((n) => !(s.hideTopic ?? ((x: string) => x.startsWith("__")))(n))
        .sort();
      for (const name of names) {
        const d = await s.topics.describeTopic(name);
        if (!d) continue;
        const row: TopicRow = { name, partitions: [], messages: 0, rate: 0 };
        for (let p = 0; p < d.partitions; p++) {
          const [start, end] = await Promise.all([
            s.topics.listOffset(name, p, "earliest"),
            s.topics.listOffset(name, p, "latest"),
          ]);
          const key = `${name}/${p}`;
          const logEnd = Number(end);
          ends.set(key, logEnd);
          if (this.last) {
            const prev = this.last.ends.get(key);
            const dt = (now - this.last.time) / 1000;
            if (prev !== undefined && dt > 0) this.rates.set(key, Math.max(0, (logEnd - prev) / dt));
          }
          const rate = this.rates.get(key) ?? 0;
          row.partitions.push({
            partition: p,
            logStart: Number(start),
            logEnd,
            size: s.partitionSize?.(name, p),
            rate,
          });
          row.messages += logEnd - Number(start);
          row.rate += rate;
        }
        topics.push(row);
      }
      if (!this.last || now - this.last.time >= 500) this.last = { time: now, ends };
    }
    this.latest = {
      time: now,
      title: s.title ?? "millrace",
      topics,
      groups: s.groups ? await s.groups() : [],
      streaming: s.streaming ? s.streaming() : [],
      agents: s.agents ? s.agents() : {},
      output: s.output ? s.output() : null,
    };
    return this.latest;
  }

  async messages(
    topic: string,
    partition: number,
    offset: bigint | "latest",
    limit: number,
  ): Promise<DecodedMessage[]> {
    const port = this.sources.topics;
    if (!port) return [];
    let from: bigint;
    if (offset === "latest") {
      const end = await port.listOffset(topic, partition, "latest");
      const start = await port.listOffset(topic, partition, "earliest");
      from = end - BigInt(limit) > start ? end - BigInt(limit) : start;
    } else from = offset;
    const out: DecodedMessage[] = [];
    const r = await port.fetch(topic, partition, from, { maxBytes: 1 << 20 });
    for (const rec of r.records) {
      if (rec.offset < from) continue;
      if (out.length >= limit) break;
      const v = autoDecoder(rec.value);
      out.push({
        partition,
        offset: rec.offset.toString(),
        timestamp: Number(rec.timestamp),
        key: rec.key ? rec.key.toString("utf8") : null,
        ...v,
      });
    }
    return out;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(PAGE_HTML);
        return;
      case "/metrics": {
        const { contentType, body } = await exposition();
        res.writeHead(200, { "content-type": contentType }).end(body);
        return;
      }
      case "/api/snapshot":
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(await this.snapshot()));
        return;
      case "/api/events": {
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-store",
          connection: "keep-alive",
        });
        res.write(`retry: 2000\n\n`);
        this.clients.add(res);
        req.on("close", () => this.clients.delete(res));
        const snap = await this.snapshot();
        res.write(`event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
        return;
      }
      case "/api/messages": {
        const topic = url.searchParams.get("topic");
        const partition = Number(url.searchParams.get("partition") ?? "0");
        const off = url.searchParams.get("offset") ?? "latest";
        const limit = Math.min(200, Math.max(1, Number(url.searchParams.get("limit") ?? "20")));
        if (!topic || !Number.isInteger(partition) || (off !== "latest" && !/^\d+$/.test(off))) {
          res
            .writeHead(400, { "content-type": "application/json" })
            .end(JSON.stringify({ error: "topic, partition and offset (a number or 'latest') are required" }));
          return;
        }
        const msgs = await this.messages(topic, partition, off === "latest" ? "latest" : BigInt(off), limit);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(msgs));
        return;
      }
      default:
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }
}
