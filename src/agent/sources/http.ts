/**
 * Flume's HTTP source: POST requests on bind:port become events through a handler.
 *
 * handler = org.apache.flume.source.http.JSONHandler (default): the body is a JSON
 *   array `[{"headers": {...}, "body": "text"}, ...]`; bodies are encoded in the
 *   request's charset (utf-8 by default).
 * handler = org.apache.flume.sink.solr.morphline.BlobHandler: the whole request
 *   body is one event, query parameters are its headers; handler.maxBlobLength
 *   (100000000) bytes at most.
 *
 * 200 only after every required channel committed the request's events;
 * 400 for a malformed request (nothing is put); 503 when a channel is full;
 * 500 on any other channel failure. One request is one batch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import {
  ChannelFullError,
  type ChannelProcessor,
  type ComponentEnv,
  type Context,
  type Event,
  type EventDrivenSource,
} from "../api.js";
import { SourceCounter } from "../counters.js";
import { putCounted } from "./put.js";
import { listenOn, readListenPort } from "./base.js";

export class BadRequestError extends Error {}

export interface HttpSourceHandler {
  /** the request's events; throws BadRequestError on malformed input */
  getEvents(body: Buffer, req: IncomingMessage): Event[];
  /** largest request body accepted */
  maxBodyBytes: number;
}

const CHARSETS: Record<string, BufferEncoding> = {
  "utf-8": "utf8",
  utf8: "utf8",
  "us-ascii": "ascii",
  ascii: "ascii",
  "iso-8859-1": "latin1",
  latin1: "latin1",
  "utf-16le": "utf16le",
};

function charsetOf(req: IncomingMessage): BufferEncoding {
  const ct = req.headers["content-type"] ?? "";
  const m = /charset\s*=\s*"?([^";\s]+)/i.exec(ct);
  if (!m) return "utf8";
  const enc = CHARSETS[m[1].toLowerCase()];
  if (!enc) throw new BadRequestError(`unsupported charset ${m[1]}`);
  return enc;
}

export class JsonHandler implements HttpSourceHandler {
  constructor(readonly maxBodyBytes = 100_000_000) {}
  getEvents(body: Buffer, req: IncomingMessage): Event[] {
    const enc = charsetOf(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString(enc === "latin1" || enc === "ascii" ? enc : enc));
    } catch (e) {
      throw new BadRequestError(`request body is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new BadRequestError("request body must be a JSON array of events");
    return parsed.map((item, i) => {
      if (item === null || typeof item !== "object" || Array.isArray(item))
        throw new BadRequestError(`event ${i} is not an object`);
      const o = item as { headers?: unknown; body?: unknown };
      const headers: Record<string, string> = {};
      if (o.headers !== undefined && o.headers !== null) {
        if (typeof o.headers !== "object" || Array.isArray(o.headers))
          throw new BadRequestError(`event ${i}: headers must be an object`);
        for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) {
          if (typeof v === "string") headers[k] = v;
          else if (typeof v === "number" || typeof v === "boolean") headers[k] = String(v);
          else if (v !== null) throw new BadRequestError(`event ${i}: header ${k} must be a string`);
        }
      }
      let b: Buffer;
      if (o.body === undefined || o.body === null) b = Buffer.alloc(0);
      else if (typeof o.body === "string") b = Buffer.from(o.body, enc);
      else if (typeof o.body === "number" || typeof o.body === "boolean") b = Buffer.from(String(o.body), enc);
      else throw new BadRequestError(`event ${i}: body must be a string`);
      return { headers, body: b };
    });
  }
}

export class BlobHandler implements HttpSourceHandler {
  constructor(readonly maxBodyBytes = 100_000_000) {}
  getEvents(body: Buffer, req: IncomingMessage): Event[] {
    const headers: Record<string, string> = {};
    const url = new URL(req.url ?? "/", "http://x");
    for (const [k, v] of url.searchParams) headers[k] = v;
    return [{ headers, body }];
  }
}

const HANDLERS: { names: string[]; make: (ctx: Context) => HttpSourceHandler }[] = [
  {
    names: ["org.apache.flume.source.http.JSONHandler", "JSONHandler", "json"],
    make: () => new JsonHandler(),
  },
  {
    names: ["org.apache.flume.sink.solr.morphline.BlobHandler", "BlobHandler", "blob"],
    make: (ctx) => {
      const max = ctx.getInteger("maxBlobLength", 100_000_000);
      if (max <= 0) throw ctx.error("maxBlobLength", "must be positive");
      return new BlobHandler(max);
    },
  },
];

export class HttpSource implements EventDrivenSource {
  readonly kind = "event-driven" as const;
  private cp!: ChannelProcessor;
  private server: Server | null = null;
  readonly counter: SourceCounter;
  constructor(
    readonly name: string,
    agent: string,
    readonly bind: string,
    public port: number,
    readonly handler: HttpSourceHandler = new JsonHandler(),
    private readonly log?: Logger,
  ) {
    this.counter = new SourceCounter(agent, name);
  }
  static fromContext(name: string, ctx: Context, env: ComponentEnv): HttpSource {
    const bind = ctx.getString("bind", "0.0.0.0");
    const port = readListenPort(ctx);
    const hname = ctx.getString("handler", "org.apache.flume.source.http.JSONHandler");
    const h = HANDLERS.find((x) => x.names.includes(hname));
    if (!h) throw ctx.error("handler", `names an unknown handler "${hname}" (JSONHandler or BlobHandler)`);
    const handler = h.make(ctx.sub("handler"));
    return new HttpSource(name, env.agentName, bind, port, handler, env.logger);
  }
  setChannelProcessor(cp: ChannelProcessor): void {
    this.cp = cp;
  }
  async start(): Promise<void> {
    this.counter.register();
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    this.port = await listenOn(this.server, this.port, this.bind);
    this.log?.info({ source: this.name, bind: this.bind, port: this.port }, "http source listening");
  }
  private send(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }
  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > this.handler.maxBodyBytes)
        throw new BadRequestError(`request body exceeds ${this.handler.maxBodyBytes} bytes`);
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "TRACE" || req.method === "OPTIONS" || (req.method !== "POST" && req.method !== "PUT")) {
      req.resume();
      res.setHeader("allow", "POST");
      this.send(res, 405, "only POST is accepted\n");
      return;
    }
    let events: Event[];
    try {
      events = this.handler.getEvents(await this.readBody(req), req);
    } catch (err) {
      if (err instanceof BadRequestError) {
        this.counter.inc("EventReadFail");
        if (!req.complete) req.resume();
        this.send(res, 400, `Bad request from client. ${err.message}\n`);
        return;
      }
      this.counter.inc("GenericProcessingFail");
      this.send(res, 500, `Deserializer threw unexpected exception. ${(err as Error).message}\n`);
      return;
    }
    try {
      await putCounted(this.counter, this.cp, events);
    } catch (err) {
      if (err instanceof ChannelFullError) {
        this.send(res, 503, `Error appending event to channel. Channel might be full. ${err.message}\n`);
      } else {
        this.send(res, 500, `Error appending event to channel. ${(err as Error).message}\n`);
      }
      return;
    }
    this.send(res, 200, "");
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeIdleConnections?.();
      await new Promise<void>((r) => s.close(() => r()));
    }
    this.counter.unregister();
  }
}
