/**
 * The responder side of AvroSourceProtocol over the Netty framing: one state
 * per connection (handshake done or not), calls answered in order, the socket
 * paused while a call is handled (a slow channel slows the sender).
 */
import { createServer, type Server, type Socket } from "node:net";
import avro from "avsc";
import type { Logger } from "pino";
import type { Event } from "../api.js";
import { closeTcp, listenTcp } from "../listen.js";
import { PackDecoder, encodePack, type DataPack } from "./framing.js";
import {
  KNOWN_HASHES,
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
  type HandshakeRequest,
  type HandshakeResponse,
  type RpcStatus,
} from "./protocol.js";

export interface AvroRpcHandler {
  append(e: Event): Promise<RpcStatus>;
  appendBatch(events: Event[]): Promise<RpcStatus>;
  onConnection?(open: boolean): void;
}

/** How to read a client's requests: per message, its request type resolved to ours. */
type Remote = Map<string, { type: avro.Type; resolver?: avro.Resolver }>;

const identical: Remote = new Map(service.messages.map((m) => [m.name, { type: m.requestType }]));

function remoteFromProtocol(text: string): Remote {
  const theirs = avro.Service.forProtocol(JSON.parse(text));
  const out: Remote = new Map();
  for (const m of service.messages) {
    const rm = theirs.message(m.name);
    if (rm) out.set(m.name, { type: m.requestType, resolver: m.requestType.createResolver(rm.requestType) });
  }
  return out;
}

interface Conn {
  remote: Remote | null;
}

export class AvroRpcServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** client protocols by hash (hex), as Avro's Responder caches them */
  private readonly protocols = new Map<string, Remote>(KNOWN_HASHES.map((h) => [h.toString("hex"), identical]));

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly handler: AvroRpcHandler,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<number> {
    const server = createServer((s) => this.serve(s));
    this.server = server;
    return listenTcp(server, this.port, this.host);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeTcp(server, this.sockets);
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    this.handler.onConnection?.(true);
    const conn: Conn = { remote: null };
    const decoder = new PackDecoder();
    let chain = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      let packs: DataPack[];
      try {
        packs = decoder.push(chunk);
      } catch (err) {
        this.logger.warn(
          { err },
          `avro rpc: closing connection from ${socket.remoteAddress}: ${(err as Error).message}`,
        );
        socket.destroy();
        return;
      }
      if (packs.length === 0) return;
      socket.pause();
      chain = chain
        .then(async () => {
          for (const p of packs) {
            const reply = await this.respond(conn, p);
            if (socket.destroyed) return;
            socket.write(encodePack(p.serial, reply));
          }
        })
        .catch((err) => {
          this.logger.warn({ err }, "avro rpc: bad request, closing the connection");
          socket.destroy();
        })
        .then(() => {
          if (!socket.destroyed) socket.resume();
        });
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.sockets.delete(socket);
      this.handler.onConnection?.(false);
    });
  }

  /** The response buffers for one request pack. */
  async respond(conn: Conn, pack: DataPack): Promise<Buffer[]> {
    const r = new Reader(Buffer.concat(pack.buffers));
    const out: Buffer[] = [];
    if (!conn.remote) {
      const req = r.read<HandshakeRequest>(handshakeRequestType);
      const key = req.clientHash.toString("hex");
      let remote = this.protocols.get(key) ?? null;
      if (!remote && req.clientProtocol !== null) {
        remote = remoteFromProtocol(req.clientProtocol);
        this.protocols.set(key, remote);
      }
      const both = KNOWN_HASHES.some((h) => h.equals(req.serverHash));
      const res: HandshakeResponse = {
        match: remote === null ? "NONE" : both ? "BOTH" : "CLIENT",
        serverProtocol: null,
        serverHash: null,
        meta: null,
      };
      if (res.match !== "BOTH") {
        res.serverProtocol = PROTOCOL_TEXT;
        res.serverHash = PROTOCOL_HASH;
      }
      out.push(handshakeResponseType.toBuffer(res));
      if (!remote) return out; // the client repeats the call with its protocol
      conn.remote = remote;
    }
    r.read(metaType);
    const name = r.read<string>(stringType);
    if (name === "") return out; // a handshake ping
    const reader = conn.remote.get(name);
    let status: RpcStatus;
    try {
      if (!reader) throw new Error(`No such message: ${name}`);
      const { value, offset } = reader.type.decode(r.buf, r.pos, reader.resolver);
      if (offset < 0) throw new Error(`truncated ${name} request`);
      r.pos = offset;
      const req = value as { event?: Event; events?: Event[] };
      status =
        name === "append"
          ? await this.handler.append(toEvent(req.event!))
          : await this.handler.appendBatch(req.events!.map(toEvent));
    } catch (err) {
      // Avro's system error: flag true, union {string}
      out.push(
        metaType.toBuffer({}),
        booleanType.toBuffer(true),
        systemErrorType.toBuffer(`org.apache.avro.AvroRuntimeException: ${(err as Error).message}`),
      );
      return out;
    }
    out.push(metaType.toBuffer({}), booleanType.toBuffer(false), statusType.toBuffer(status));
    return out;
  }
}

function toEvent(v: Event): Event {
  return { headers: { ...v.headers }, body: Buffer.from(v.body) };
}
