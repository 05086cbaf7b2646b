/**
 * HTTP for the stream connectors over node:http(s): a streaming GET whose
 * response is read chunk by chunk (the caller stops reading to pause the
 * socket: TCP backpressure), and a small JSON request helper.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { HttpStatusError } from "./errors.js";

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** fails the request if no response headers arrive in time (default 30 s) */
  connectTimeoutMs?: number;
}

/**
 * Sent unless a source sets its own (Wikimedia asks clients to identify themselves: set `userAgent`
 * with a contact).
 */
export const USER_AGENT = "millrace/0.1 (Flume-compatible agent; Node.js)";

/** Opens a request and resolves with the response (any status); the body is not read. */
export function openRequest(url: string | URL, opts: RequestOptions = {}): Promise<IncomingMessage> {
  const u = typeof url === "string" ? new URL(url) : url;
  const mod = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: opts.method ?? "GET",
        headers: { "user-agent": USER_AGENT, ...opts.headers },
        signal: opts.signal,
      },
      (res) => {
        clearTimeout(timer);
        resolve(res);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no response from ${u.origin} within ${opts.connectTimeoutMs ?? 30_000} ms`)),
      opts.connectTimeoutMs ?? 30_000,
    );
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export async function readAll(res: IncomingMessage, limit = 1 << 20): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    const b = c as Buffer;
    if (n < limit) parts.push(b);
    n += b.length;
  }
  return Buffer.concat(parts).toString("utf8");
}

/** Opens a stream; a status other than 200 becomes an HttpStatusError (with the body read). */
export async function openStream(url: string | URL, opts: RequestOptions = {}): Promise<IncomingMessage> {
  const res = await openRequest(url, opts);
  if (res.statusCode !== 200) {
    const body = await readAll(res, 4096).catch(() => "");
    throw new HttpStatusError(res.statusCode ?? 0, res.headers, body, String(url));
  }
  return res;
}

/** A request whose 2xx JSON answer is returned; other statuses are HttpStatusError. */
export async function requestJson<T = unknown>(url: string | URL, opts: RequestOptions = {}): Promise<T> {
  const res = await openRequest(url, opts);
  const body = await readAll(res);
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw new HttpStatusError(status, res.headers, body, String(url));
  return (body === "" ? {} : JSON.parse(body)) as T;
}

/** Is this a network-level failure (as opposed to an HTTP status)? */
export function isNetworkError(err: unknown): boolean {
  return !(err instanceof HttpStatusError);
}
