/**
 * The requestor side of AvroSourceProtocol over the Netty framing, as Flume's
 * NettyAvroRpcClient uses it: one connection, the handshake on its first call
 * (with our protocol text, so a server that does not know our hash accepts at
 * once, and guessing the server is Flume's, so Flume answers BOTH; a NONE
 * answer is handled by repeating the call),
 * calls one at a time, each bounded by requestTimeout. Any failure closes the
 * connection; the next call reconnects.
 */
import { connect, type Socket } from "node:net";
import type { Event } from "../api.js";
import { AvroRpcError, PackDecoder, encodePack, type DataPack } from "./framing.js";
import {
  FLUME_PROTOCOL_HASH,
  PROTOCOL_HASH,
  PROTOCOL_TEXT,
  Reader,
  booleanType,
  handshakeRequestType,
  handshakeResponseType,
  metaType,
  service,
  statusType,
  stringType,
  systemErrorType,
  type HandshakeResponse,
  type RpcStatus,
} from "./protocol.js";

export interface AvroRpcClientOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export class AvroRpcClient {
  private socket?: Socket;
  private decoder = new PackDecoder();
  private serial = 0;
  private handshakeDone = false;
  private waiting?: { serial: number; resolve: (p: DataPack) => void; reject: (e: Error) => void };
  private queue: Promise<unknown> = Promise.resolve();
  /** connections opened so far (for ConnectionCreatedCount) */
  connections = 0;

  constructor(private readonly opts: AvroRpcClientOptions) {}

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  private async open(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.decoder = new PackDecoder();
    this.handshakeDone = false;
    const timeout = this.opts.connectTimeoutMs ?? 20_000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.opts.host, port: this.opts.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          new AvroRpcError(
            "MR_AVRO_CONNECT",
            `connect to ${this.opts.host}:${this.opts.port} timed out after ${timeout} ms`,
          ),
        );
      }, timeout);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (err) => {
        clearTimeout(timer);
        reject(
          new AvroRpcError("MR_AVRO_CONNECT", `connect to ${this.opts.host}:${this.opts.port}: ${err.message}`, {
            cause: err,
          }),
        );
      });
    });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const p of this.decoder.push(chunk)) {
          const w = this.waiting;
          if (w && w.serial === p.serial) {
            this.waiting = undefined;
            w.resolve(p);
          }
        }
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new AvroRpcError("MR_AVRO_CLOSED", "connection closed by the server")));
    this.socket = socket;
    this.connections++;
    return socket;
  }

  private fail(err: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.handshakeDone = false;
    w?.reject(err);
  }

  private async roundTrip(buffers: Buffer[]): Promise<DataPack> {
    const socket = await this.open();
    const serial = (this.serial = (this.serial + 1) | 0);
    const timeout = this.opts.requestTimeoutMs ?? 20_000;
    return new Promise<DataPack>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.fail(
            new AvroRpcError(
              "MR_AVRO_TIMEOUT",
              `no answer from ${this.opts.host}:${this.opts.port} within ${timeout} ms`,
            ),
          ),
        timeout,
      );
      this.waiting = {
        serial,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      socket.write(encodePack(serial, buffers));
    });
  }

  /** One call; resolves with the server's Status, rejects on a transport or server error. */
  private call(name: "append" | "appendBatch", request: unknown): Promise<RpcStatus> {
    const run = async (): Promise<RpcStatus> => {
      const body = [
        metaType.toBuffer({}),
        stringType.toBuffer(name),
        service.message(name)!.requestType.toBuffer(request),
      ];
      for (let attempt = 0; attempt < 2; attempt++) {
        const withHandshake = !this.handshakeDone;
        const buffers = withHandshake
          ? [
              handshakeRequestType.toBuffer({
                clientHash: PROTOCOL_HASH,
                clientProtocol: PROTOCOL_TEXT,
                serverHash: FLUME_PROTOCOL_HASH,
                meta: {},
              }),
              ...body,
            ]
          : body;
        const pack = await this.roundTrip(buffers);
        const r = new Reader(Buffer.concat(pack.buffers));
        if (withHandshake) {
          const hs = r.read<HandshakeResponse>(handshakeResponseType);
          if (hs.match === "NONE") continue;
          if (hs.serverProtocol !== null && !hs.serverProtocol.includes('"appendBatch"')) {
            this.fail(new AvroRpcError("MR_AVRO_PROTOCOL", "the server does not speak AvroSourceProtocol"));
            throw new AvroRpcError(
              "MR_AVRO_PROTOCOL",
              `the server at ${this.opts.host}:${this.opts.port} does not speak AvroSourceProtocol`,
            );
          }
          this.handshakeDone = true;
        }
        r.read(metaType);
        if (r.read<boolean>(booleanType)) {
          const msg = r.read<string>(systemErrorType);
          throw new AvroRpcError("MR_AVRO_REMOTE", `server error: ${msg}`);
        }
        return r.read<RpcStatus>(statusType);
      }
      throw new AvroRpcError("MR_AVRO_HANDSHAKE", "handshake not accepted by the server");
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  append(e: Event): Promise<RpcStatus> {
    return this.call("append", { event: { headers: e.headers, body: e.body } });
  }

  appendBatch(events: Event[]): Promise<RpcStatus> {
    return this.call("appendBatch", { events: events.map((e) => ({ headers: e.headers, body: e.body })) });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.handshakeDone = false;
  }
}
