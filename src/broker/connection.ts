/**
 * One client connection: Kafka framing (int32 size prefix, bounded by
 * socket.request.max.bytes), request dispatch, and responses written strictly
 * in request order even though requests are handled concurrently. Reading
 * pauses while too many responses are pending or the socket's write buffer is
 * full (backpressure). Malformed frames close this connection only.
 */
import type { Socket } from "node:net";
import {
  ApiKey,
  apiName,
  decodeRequestBody,
  decodeRequestHeader,
  encodeResponse,
  peekRequestHeader,
} from "../protocol/apis.js";
import { ProtocolError, Reader } from "../protocol/primitives.js";
import { ErrorCode } from "../protocol/errors.js";
import type { Broker } from "./broker.js";
import { handlerFor, apiVersionsBody } from "./handlers/index.js";
import { rawSaslToken } from "./handlers/sasl-authenticate.js";
import type { ConnectionSession } from "./listeners.js";
import { requestErrorsTotal, requestSeconds, requestsTotal } from "./metrics.js";

const MAX_PENDING = 64;

interface Slot {
  done: boolean;
  chunks: Buffer[] | null;
  endTimer?: () => void;
}

export class Connection {
  private header = Buffer.alloc(4);
  private headerLen = 0;
  private frame: Buffer | null = null;
  private frameLen = 0;
  private pending: Slot[] = [];
  private closed = false;
  private writePaused = false;
  private ending = false;
  readonly remote: string;

  constructor(
    readonly socket: Socket,
    readonly broker: Broker,
    readonly listener: string,
    /** authentication state; requests are gated by it until authenticated */
    readonly session: ConnectionSession,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (d) => this.onData(d));
    socket.on("drain", () => {
      this.writePaused = false;
      this.maybeResume();
    });
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.broker.logger.warn({ client: this.remote, reason }, "closing connection");
    this.socket.destroy();
    this.broker.connectionClosed(this);
  }

  private onData(data: Buffer): void {
    let off = 0;
    while (off < data.length && !this.closed) {
      if (this.frame === null) {
        const take = Math.min(4 - this.headerLen, data.length - off);
        data.copy(this.header, this.headerLen, off, off + take);
        this.headerLen += take;
        off += take;
        if (this.headerLen < 4) return;
        this.headerLen = 0;
        const size = this.header.readInt32BE(0);
        const cfg = this.broker.config;
        const max = this.session.maxReceiveSize(cfg.socketRequestMaxBytes, cfg.saslServerMaxReceiveSize);
        if (size < 0 || size > max) {
          const limit = this.session.authenticated ? "socket.request.max.bytes" : "sasl.server.max.receive.size";
          this.close(`request size ${size} is outside 0..${limit} (${max})`);
          return;
        }
        if (data.length - off >= size) {
          const f = data.subarray(off, off + size);
          off += size;
          this.dispatch(f);
          continue;
        }
        this.frame = Buffer.allocUnsafe(size);
        this.frameLen = 0;
      }
      const take = Math.min(this.frame.length - this.frameLen, data.length - off);
      data.copy(this.frame, this.frameLen, off, off + take);
      this.frameLen += take;
      off += take;
      if (this.frameLen === this.frame.length) {
        const f = this.frame;
        this.frame = null;
        this.dispatch(f);
      }
    }
  }

  private dispatch(frame: Buffer): void {
    if (this.session.state === "raw") return rawSaslToken(this, frame);
    let key: number;
    let version: number;
    let correlationId: number;
    try {
      ({ apiKey: key, apiVersion: version, correlationId } = peekRequestHeader(frame));
    } catch (e) {
      return this.close((e as Error).message);
    }
    const refusal = this.session.refusal(key);
    if (refusal) return this.close(refusal);
    const handler = handlerFor(key);
    if (!handler || version < handler.minVersion || version > handler.maxVersion) {
      if (key === ApiKey.ApiVersions) {
        // KIP-511: answer an unknown ApiVersions version with v0 and UNSUPPORTED_VERSION.
        const body = apiVersionsBody(ErrorCode.UNSUPPORTED_VERSION);
        this.enqueue(encodeResponse(ApiKey.ApiVersions, 0, correlationId, body));
        return;
      }
      this.broker.metrics.requestErrors++;
      requestErrorsTotal.inc({ api: handler ? apiName(key) : "unknown" });
      return this.close(handler ? `${apiName(key)} v${version} is not supported` : `unknown API key ${key}`);
    }
    let header: ReturnType<typeof decodeRequestHeader>;
    let body: ReturnType<typeof decodeRequestBody>;
    try {
      const r = new Reader(frame);
      header = decodeRequestHeader(r);
      body = decodeRequestBody(key, version, r);
    } catch (e) {
      this.broker.metrics.requestErrors++;
      requestErrorsTotal.inc({ api: apiName(key) });
      const msg = e instanceof ProtocolError ? e.message : String(e);
      return this.close(`malformed ${apiName(key)} v${version} request: ${msg}`);
    }
    this.broker.metrics.requests++;
    const api = apiName(key);
    requestsTotal.inc({ api });
    const endTimer = requestSeconds.startTimer({ api });
    const slot: Slot = { done: false, chunks: null, endTimer };
    this.pending.push(slot);
    if (this.pending.length >= MAX_PENDING) this.socket.pause();
    let result: ReturnType<typeof handler.handle>;
    try {
      result = handler.handle({ broker: this.broker, connection: this, header, apiVersion: version }, body);
    } catch (e) {
      return this.fail(key, version, e);
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.complete(slot, key, version, correlationId, res),
        (e) => this.fail(key, version, e),
      );
    } else {
      this.complete(slot, key, version, correlationId, result);
    }
  }

  private fail(key: number, version: number, e: unknown): void {
    this.broker.logger.error({ err: e, api: apiName(key), version, client: this.remote }, "request handler failed");
    this.close(`internal error handling ${apiName(key)} v${version}`);
  }

  private complete(slot: Slot, key: number, version: number, correlationId: number, res: object | null): void {
    if (this.closed) return;
    if (res !== null) {
      try {
        slot.chunks = encodeResponse(key, version, correlationId, res);
      } catch (e) {
        return this.fail(key, version, e);
      }
    }
    slot.done = true;
    slot.endTimer?.();
    this.flush();
  }

  /** Queues a response made outside the handler table (raw SASL tokens) in request order; null closes. */
  reply(result: Promise<Buffer[] | null>): void {
    const slot: Slot = { done: false, chunks: null };
    this.pending.push(slot);
    result.then(
      (chunks) => {
        if (chunks === null) return this.close("authentication failed");
        slot.chunks = chunks;
        slot.done = true;
        this.flush();
      },
      (e) => this.close(String(e)),
    );
  }

  /** Closes the connection once the responses queued so far are written (after a failed authentication). */
  endAfterFlush(): void {
    this.ending = true;
  }

  private enqueue(chunks: Buffer[]): void {
    this.pending.push({ done: true, chunks });
    this.flush();
  }

  private flush(): void {
    let wrote = false;
    while (this.pending.length > 0 && this.pending[0].done) {
      const s = this.pending.shift()!;
      if (!s.chunks) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      for (const c of s.chunks) {
        if (!this.socket.write(c)) this.writePaused = true;
      }
    }
    if (wrote) this.socket.uncork();
    if (this.ending && this.pending.length === 0 && !this.closed) {
      this.closed = true;
      this.socket.end();
      this.broker.connectionClosed(this);
      return;
    }
    if (this.writePaused) this.socket.pause();
    else this.maybeResume();
  }

  private maybeResume(): void {
    if (!this.closed && !this.writePaused && this.pending.length < MAX_PENDING && this.socket.isPaused())
      this.socket.resume();
  }
}
