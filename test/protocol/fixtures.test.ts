/**
 * Real bytes: requests and responses captured between real clients (kcat,
 * kafka-python, confluent-kafka, KafkaJS, @platformatic/kafka, Kafka's Java
 * clients 0.11-3.9) and a real Apache Kafka 3.9 broker
 * (scripts/capture/). Every frame for an API we have a schema for must decode
 * with nothing left over and re-encode to the very same bytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  apiSchemas,
  decodeRequestHeader,
  decodeRequestBody,
  encodeRequest,
  encodeResponse,
  decodeResponse,
} from "../../src/protocol/apis.js";
import { Reader } from "../../src/protocol/primitives.js";
import { inRange } from "../../src/protocol/schema.js";

const root = join(import.meta.dirname, "..", "fixtures", "protocol");

interface Entry {
  api: string;
  apiKey: number;
  apiVersion: number;
  client: string;
  request: string;
  response: string | null;
  correlationId: number;
}

const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8")) as Entry[];

test("captured requests decode and re-encode byte for byte", () => {
  let checked = 0;
  const apis = new Set<string>();
  for (const e of manifest) {
    const schemas = apiSchemas(e.apiKey);
    if (!schemas || !inRange(schemas.request.valid, e.apiVersion)) continue;
    const bytes = readFileSync(join(root, e.request));
    const r = new Reader(bytes);
    const header = decodeRequestHeader(r);
    assert.equal(header.requestApiKey, e.apiKey);
    assert.equal(header.correlationId, e.correlationId);
    const body = decodeRequestBody(e.apiKey, e.apiVersion, r);
    assert.equal(r.remaining(), 0, `${e.request}: ${r.remaining()} bytes left`);
    const again = Buffer.concat(
      encodeRequest(e.apiKey, e.apiVersion, header.correlationId, header.clientId, body),
    ).subarray(4);
    assert.deepEqual(again, bytes, `${e.request} does not re-encode to the captured bytes`);
    checked++;
    apis.add(e.api);
  }
  assert.ok(checked > 400, `only ${checked} request fixtures checked`);
  for (const a of [
    "Produce",
    "Fetch",
    "Metadata",
    "ApiVersions",
    "ListOffsets",
    "CreateTopics",
    "DeleteTopics",
    "DescribeConfigs",
  ])
    assert.ok(apis.has(a), a);
});

test("captured responses decode and re-encode byte for byte", () => {
  let checked = 0;
  for (const e of manifest) {
    const schemas = apiSchemas(e.apiKey);
    if (!e.response || !schemas || !inRange(schemas.response.valid, e.apiVersion)) continue;
    const bytes = readFileSync(join(root, e.response));
    const { correlationId, body } = decodeResponse(e.apiKey, e.apiVersion, bytes);
    assert.equal(correlationId, e.correlationId);
    const again = Buffer.concat(encodeResponse(e.apiKey, e.apiVersion, correlationId, body)).subarray(4);
    assert.deepEqual(again, bytes, `${e.response} does not re-encode to the captured bytes`);
    checked++;
  }
  assert.ok(checked > 400, `only ${checked} response fixtures checked`);
});
