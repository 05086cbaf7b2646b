import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { facts, stripComments } from "../../scripts/extract-kafka-messages.js";
import { interfaces } from "../../scripts/gen-protocol-types.js";
import { ApiKey } from "../../src/protocol/apis.js";

const root = join(import.meta.dirname, "..", "..");
const factsDir = join(root, "scripts", "kafka-messages");

test("the committed src/protocol/messages is what the generator makes from scripts/kafka-messages", () => {
  const out = mkdtempSync(join(tmpdir(), "millrace-gen-"));
  try {
    execFileSync(process.execPath, ["--import", "tsx", join(root, "scripts", "gen-protocol.ts"), factsDir, out], {
      cwd: root,
      stdio: "pipe",
    });
    const committed = join(root, "src", "protocol", "messages");
    assert.deepEqual(readdirSync(out).sort(), readdirSync(committed).sort());
    for (const f of readdirSync(out)) {
      assert.equal(readFileSync(join(out, f), "utf8"), readFileSync(join(committed, f), "utf8"), f);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the facts keep names, types, versions and defaults, and drop prose and comments", () => {
  const source = `// a licence header
{
  "apiKey": 12, "type": "request", "listeners": ["broker"], "name": "HeartbeatRequest",
  // a comment on versions
  "validVersions": "0-4", "flexibleVersions": "4+",
  "fields": [
    { "name": "GroupId", "type": "string", "versions": "0+", "entityType": "groupId", "about": "The group id." },
    { "name": "GroupInstanceId", "type": "string", "versions": "3+", "nullableVersions": "3+", "default": "null",
      "about": "The instance id." }
  ]
}`;
  const m = facts(JSON.parse(stripComments(source)));
  assert.deepEqual(m, {
    apiKey: 12,
    type: "request",
    listeners: ["broker"],
    name: "HeartbeatRequest",
    validVersions: "0-4",
    flexibleVersions: "4+",
    fields: [
      { name: "GroupId", type: "string", versions: "0+", entityType: "groupId" },
      { name: "GroupInstanceId", type: "string", versions: "3+", nullableVersions: "3+", default: "null" },
    ],
  });
  for (const f of readdirSync(factsDir)) {
    assert.doesNotMatch(readFileSync(join(factsDir, f), "utf8"), /"about"|\/\//, f);
  }
});

test("the facts hold every API Kafka defines, so adding one is a name in APIS", () => {
  for (const name of ["SaslHandshake", "CreateAcls", "WriteTxnMarkers", "ConsumerGroupHeartbeat", "ShareFetch"]) {
    assert.ok(readdirSync(factsDir).includes(`${name}Request.json`), name);
    assert.ok(readdirSync(factsDir).includes(`${name}Response.json`), name);
  }
  assert.equal(ApiKey.Produce, 0);
  assert.equal(ApiKey.DescribeTopicPartitions, 75);
  assert.equal(ApiKey.ConsumerGroupHeartbeat, 68);
});

test(
  "interfaces: fields in every version are required, version-gated and tagged ones optional, nullable | " + "null",
  () => {
    const m = JSON.parse(readFileSync(join(factsDir, "JoinGroupResponse.json"), "utf8"));
    const [top, member] = interfaces(m, "JoinGroupResponseData");
    const byName = new Map(top.fields.map((f) => [f.name, f]));
    assert.deepEqual(byName.get("errorCode"), { name: "errorCode", type: "number", optional: false });
    assert.deepEqual(byName.get("throttleTimeMs"), { name: "throttleTimeMs", type: "number", optional: true });
    assert.deepEqual(byName.get("protocolName"), { name: "protocolName", type: "string | null", optional: false });
    assert.deepEqual(byName.get("members"), { name: "members", type: "JoinGroupResponseMember[]", optional: false });
    assert.equal(member.name, "JoinGroupResponseMember");
    const fetch = JSON.parse(readFileSync(join(factsDir, "FetchResponse.json"), "utf8"));
    const types = interfaces(fetch, "FetchResponseData");
    const partition = types.find((t) => t.name === "PartitionData" || t.name === "FetchResponsePartitionData");
    assert.ok(partition, types.map((t) => t.name).join());
    const records = partition.fields.find((f) => f.name === "records");
    assert.deepEqual(records, { name: "records", type: "Buffer | null", optional: false });
    const leader = partition.fields.find((f) => f.name === "currentLeader");
    assert.equal(leader?.optional, true, "a tagged field is optional");
    assert.equal(leader?.type, "FetchResponseLeaderIdAndEpoch");
  },
);
