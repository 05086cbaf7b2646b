/**
 * The APIs this broker implements. ApiVersions advertises exactly this table.
 *
 * Adding an API (`npm run new:api NAME` scaffolds steps 2 and 4):
 *   1. schema: add NAME to APIS in scripts/gen-protocol.ts and run `npm run gen:protocol`;
 *      src/protocol/messages then holds its schemas and its NAMERequestData/NAMEResponseData types.
 *   2. handler: src/broker/handlers/<name>.ts exporting an ApiHandler<NAMERequestData, NAMEResponseData>
 *      with the key and the versions it serves.
 *   3. one entry in HANDLERS below.
 *   4. a test in test/broker/ speaking the API over a real connection.
 */
import { ApiKey } from "../../protocol/apis.js";
import type {
  ApiVersionsRequestData,
  ApiVersionsResponseApiVersion,
  ApiVersionsResponseData,
} from "../../protocol/messages/index.js";
import type { AnyApiHandler, ApiHandler } from "./types.js";
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

const apiVersions: ApiHandler<ApiVersionsRequestData, ApiVersionsResponseData> = {
  key: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  handle: () => apiVersionsBody(0),
};

const HANDLERS: AnyApiHandler[] = [
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

const byKey = new Map<number, AnyApiHandler>(HANDLERS.map((h) => [h.key, h]));

export function handlerFor(key: number): AnyApiHandler | undefined {
  return byKey.get(key);
}

/** The advertised API table, sorted by key. */
export function supportedApis(): ApiVersionsResponseApiVersion[] {
  return [...byKey.values()]
    .sort((a, b) => a.key - b.key)
    .map((h) => ({ apiKey: h.key, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}

export function apiVersionsBody(errorCode: number): ApiVersionsResponseData {
  return { errorCode, apiKeys: supportedApis(), throttleTimeMs: 0 };
}
