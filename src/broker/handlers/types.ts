import type { Decoded } from "../../protocol/codec.js";
import type { RequestHeader } from "../../protocol/apis.js";
import type { Broker } from "../broker.js";
import type { Connection } from "../connection.js";

export interface RequestContext {
  broker: Broker;
  connection: Connection;
  header: RequestHeader;
  apiVersion: number;
}

/**
 * One API: its key, the versions it serves, and its handler, typed by the
 * generated request and response interfaces (src/protocol/messages). The
 * request arrives decoded (every field present); the handler returns the
 * response body, or null when no response is sent (Produce with acks=0).
 */
export interface ApiHandler<Req extends object, Res extends object> {
  key: number;
  minVersion: number;
  maxVersion: number;
  /**
   * A method, so that the handler table can hold every API as AnyApiHandler: the
   * codec decodes `Req` and encodes `Res` from the same key's schemas.
   */
  handle(ctx: RequestContext, req: Decoded<Req>): Promise<Res | null> | Res | null;
}

/** An entry of the handler table, whatever its API. */
export type AnyApiHandler = ApiHandler<object, object>;
