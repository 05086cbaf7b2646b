/**
 * The APIs this broker implements. ApiVersions advertises exactly this table,
 * so adding an API means adding its handler here and nothing else.
 */
import { ApiKey } from "../../protocol/apis.js";
import type { Message } from "../../protocol/codec.js";
import type { ApiHandler } from "./types.js";
import { produce } from "./produce.js";
import { fetch } from "./fetch.js";
import { listOffsets } from "./list-offsets.js";
import { metadata } from "./metadata.js";
import { createTopics } from "./create-topics.js";
import { deleteTopics } from "./delete-topics.js";
import { describeConfigs } from "./describe-configs.js";
import { initProducerId } from "./init-producer-id.js";
import { groupHandlers } from "./groups.js";
import { saslHandshake } from "./sasl-handshake.js";
import { saslAuthenticate } from "./sasl-authenticate.js";

const apiVersions: ApiHandler = {
  key: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  handle: () => apiVersionsBody(0),
};

const HANDLERS: ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  describeConfigs,
  initProducerId,
  ...groupHandlers,
  saslHandshake,
  saslAuthenticate,
];

const byKey = new Map<number, ApiHandler>(HANDLERS.map((h) => [h.key, h]));

export function handlerFor(key: number): ApiHandler | undefined {
  return byKey.get(key);
}

/** The advertised API table, sorted by key. */
export function supportedApis(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...byKey.values()]
    .sort((a, b) => a.key - b.key)
    .map((h) => ({ apiKey: h.key, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}

export function apiVersionsBody(errorCode: number): Message {
  return { errorCode, apiKeys: supportedApis(), throttleTimeMs: 0 };
}
