import type { Message } from "../../protocol/codec.js";
import type { RequestHeader } from "../../protocol/apis.js";
import type { Broker } from "../broker.js";
import type { Connection } from "../connection.js";

export interface RequestContext {
  broker: Broker;
  connection: Connection;
  header: RequestHeader;
  apiVersion: number;
}

/** Returns the response body, or null when no response is sent (Produce with acks=0). */
export type Handler = (ctx: RequestContext, req: Message) => Promise<Message | null> | Message | null;

export interface ApiHandler {
  key: number;
  minVersion: number;
  maxVersion: number;
  handle: Handler;
}
