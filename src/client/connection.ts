/**
 * millrace's own minimal Kafka client connection, used by the CLI tools,
 * tests and benchmarks: framing, correlation ids, pipelined requests, and
 * version negotiation through ApiVersions. It speaks to any Kafka broker.
 */
import { connect, type Socket } from "node:net";
import { ApiKey, apiName, apiSchemas, decodeResponse, encodeRequest } from "../protocol/apis.js";
import type { Message } from "../protocol/codec.js";
import { MillraceError } from "../errors.js";

export class ClientError extends MillraceError {}

interface Pending {
  key: number;
  version: number;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
}

export function parseHostPort(s: string, defaultPort = 9092): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new ClientError("MR_CLIENT_ADDRESS", `not a host:port address: ${s}`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

export class KafkaConnection {
  private socket!: Socket;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private acc: Buffer = Buffer.alloc(0);
  private versions = new Map<number, [number, number]>();
  private closedError: Error | null = null;

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly clientId: string,
  ) {}

  static async open(address: string, opts: { clientId?: string; timeoutMs?: number } = {}): Promise<KafkaConnection> {
    const { host, port } = parseHostPort(address);
    const c = new KafkaConnection(host, port, opts.clientId ?? "millrace");
    await c.connect(opts.timeoutMs ?? 10_000);
    const res = await c.send(ApiKey.ApiVersions, 0, {});
    for (const a of res.apiKeys as { apiKey: number; minVersion: number; maxVersion: number }[])
      c.versions.set(a.apiKey, [a.minVersion, a.maxVersion]);
    return c;
  }

  private connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ClientError("MR_CLIENT_CONNECT", `timed out connecting to ${this.host}:${this.port}`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve();
      });
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(
          new ClientError(
            "MR_CLIENT_CONNECT",
            `cannot connect to ${this.host}:${this.port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`,
          ),
        );
      });
      s.on("data", (d) => this.onData(d));
      s.on("close", () =>
        this.fail(new ClientError("MR_CLIENT_CLOSED", `connection to ${this.host}:${this.port} closed`)),
      );
      s.on("error", (e) => this.fail(e));
      this.socket = s;
    });
  }

  private fail(e: Error): void {
    if (!this.closedError) this.closedError = e;
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
  }

  private onData(d: Buffer): void {
    this.acc = this.acc.length === 0 ? d : Buffer.concat([this.acc, d]);
    while (this.acc.length >= 4) {
      const size = this.acc.readInt32BE(0);
      if (this.acc.length < 4 + size) break;
      const frame = this.acc.subarray(4, 4 + size);
      this.acc = this.acc.subarray(4 + size);
      const id = frame.readInt32BE(0);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      try {
        p.resolve(decodeResponse(p.key, p.version, frame).body);
      } catch (e) {
        p.reject(e as Error);
      }
    }
  }

  /** The highest version of `key` both sides support, or throws. */
  version(key: number, max?: number): number {
    const broker = this.versions.get(key);
    const ours = apiSchemas(key)?.request.valid;
    if (!broker || !ours) throw new ClientError("MR_CLIENT_UNSUPPORTED", `the broker does not support ${apiName(key)}`);
    const v = Math.min(broker[1], ours[1], max ?? 0x7fff);
    if (v < Math.max(broker[0], ours[0]))
      throw new ClientError("MR_CLIENT_UNSUPPORTED", `no common version of ${apiName(key)}`);
    return v;
  }

  /** Sends a request at an explicit version; resolves with the response body. */
  send(key: number, version: number, body: Message, opts: { expectResponse?: boolean } = {}): Promise<Message> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++ & 0x7fffffff;
    const chunks = encodeRequest(key, version, id, this.clientId, body);
    const expect = opts.expectResponse ?? true;
    const p = expect
      ? new Promise<Message>((resolve, reject) => this.pending.set(id, { key, version, resolve, reject }))
      : Promise.resolve({});
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
    return p;
  }

  /** Sends at the highest common version (capped by `max`). */
  request(key: number, body: Message, max?: number): Promise<Message> {
    return this.send(key, this.version(key, max), body);
  }

  close(): void {
    this.socket.destroy();
  }
}
