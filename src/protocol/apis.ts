/**
 * The API registry (key → name and schemas) and the request/response framing
 * shared by the broker and millrace's own client: header versions, decoding a
 * request frame, encoding a response with its size prefix.
 */
import * as M from "./messages/index.js";
import { codecFor, type Decoded, type Message } from "./codec.js";
import { inRange, type MessageSpec } from "./schema.js";
import { ProtocolError, Reader, Writer } from "./primitives.js";

import { ApiKey, type RequestHeaderData } from "./messages/index.js";

export { ApiKey };

export interface ApiSchemas {
  key: number;
  name: string;
  request: MessageSpec;
  response: MessageSpec;
}

const { ApiKey: _keys, ...schemas } = M;
const specs: Record<string, MessageSpec> = schemas;
const byKey = new Map<number, ApiSchemas>();
for (const [name, spec] of Object.entries(specs)) {
  if (!name.endsWith("Request") || name === "RequestHeader") continue;
  const api = name.slice(0, -"Request".length);
  const response = specs[`${api}Response`];
  byKey.set(spec.apiKey!, { key: spec.apiKey!, name: api, request: spec, response });
}

export function apiSchemas(key: number): ApiSchemas | undefined {
  return byKey.get(key);
}

export function apiName(key: number): string {
  return byKey.get(key)?.name ?? `Unknown(${key})`;
}

/** Request header v2 for flexible request versions, v1 otherwise. */
export function requestHeaderVersion(key: number, version: number): number {
  const api = byKey.get(key);
  return api && inRange(api.request.flexible, version) ? 2 : 1;
}

/** Response header v1 for flexible versions, v0 otherwise; ApiVersions always v0. */
export function responseHeaderVersion(key: number, version: number): number {
  if (key === ApiKey.ApiVersions) return 0;
  const api = byKey.get(key);
  return api && inRange(api.response.flexible, version) ? 1 : 0;
}

/** A decoded request header: every field present (clientId is "" before header v1). */
export type RequestHeader = Decoded<RequestHeaderData>;

/** Reads key, version and correlation id: enough to answer even when the rest is unreadable. */
export function peekRequestHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  if (frame.length < 8)
    throw new ProtocolError("MR_PROTOCOL_TRUNCATED", `request frame of ${frame.length} bytes has no header`);
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/** Decodes the request header; the reader is left at the start of the body. */
export function decodeRequestHeader(r: Reader): RequestHeader {
  if (r.remaining() < 8)
    throw new ProtocolError("MR_PROTOCOL_TRUNCATED", `request of ${r.remaining()} bytes has no header`);
  const key = r.buf.readInt16BE(r.pos);
  const version = r.buf.readInt16BE(r.pos + 2);
  const hv = requestHeaderVersion(key, version);
  return codecFor(M.RequestHeader, hv).decode(r) as RequestHeader;
}

export function decodeRequestBody(key: number, version: number, r: Reader): Message {
  const api = byKey.get(key);
  if (!api) throw new ProtocolError("MR_PROTOCOL_UNKNOWN_API", `unknown API key ${key}`);
  return codecFor(api.request, version).decode(r);
}

export function encodeRequestBody(key: number, version: number, w: Writer, body: Message): void {
  const api = byKey.get(key);
  if (!api) throw new ProtocolError("MR_PROTOCOL_UNKNOWN_API", `unknown API key ${key}`);
  codecFor(api.request, version).encode(w, body);
}

/** A whole request frame, size prefix included, for millrace's own client. */
export function encodeRequest(
  key: number,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: Message,
): Buffer[] {
  const w = new Writer();
  w.int32(0);
  const hv = requestHeaderVersion(key, version);
  codecFor(M.RequestHeader, hv).encode(w, { requestApiKey: key, requestApiVersion: version, correlationId, clientId });
  encodeRequestBody(key, version, w, body);
  return withSize(w);
}

/** A whole response frame, size prefix included, as chunks to write in order. */
export function encodeResponse(key: number, version: number, correlationId: number, body: Message): Buffer[] {
  const w = new Writer();
  w.int32(0);
  w.int32(correlationId);
  if (responseHeaderVersion(key, version) === 1) w.uvarint(0);
  const api = byKey.get(key);
  if (!api) throw new ProtocolError("MR_PROTOCOL_UNKNOWN_API", `unknown API key ${key}`);
  codecFor(api.response, version).encode(w, body);
  return withSize(w);
}

export function decodeResponse(key: number, version: number, frame: Buffer): { correlationId: number; body: Message } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (responseHeaderVersion(key, version) === 1) {
    const n = r.uvarint();
    for (let i = 0; i < n; i++) {
      r.uvarint();
      r.skip(r.uvarint());
    }
  }
  const api = byKey.get(key);
  if (!api) throw new ProtocolError("MR_PROTOCOL_UNKNOWN_API", `unknown API key ${key}`);
  return { correlationId, body: codecFor(api.response, version).decode(r) };
}

function withSize(w: Writer): Buffer[] {
  const chunks = w.toChunks();
  chunks[0].writeInt32BE(w.length - 4, 0);
  return chunks;
}
