/**
 * The authorizer against a table of cases from Kafka's documented semantics
 * (docs/security authorization, StandardAuthorizer): super users, DENY over
 * ALLOW, implied DESCRIBE / DESCRIBE_CONFIGS, ALL, literal/wildcard/prefixed
 * patterns, wildcard principal and host, allow.everyone.if.no.acl.found.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AclBinding, AclOperation, PatternType, ResourceType } from "../../src/security/acl.js";
import { parseOperation, parseResourceType } from "../../src/security/acl.js";
import { StandardAuthorizer, parseSuperUsers } from "../../src/security/authorizer.js";

function acl(
  resourceType: ResourceType,
  name: string,
  patternType: PatternType,
  principal: string,
  operation: AclOperation,
  permissionType: "ALLOW" | "DENY" = "ALLOW",
  host = "*",
): AclBinding {
  return { pattern: { resourceType, name, patternType }, entry: { principal, host, operation, permissionType } };
}

const ACLS: AclBinding[] = [
  acl("TOPIC", "orders", "LITERAL", "User:alice", "READ"),
  acl("TOPIC", "orders", "LITERAL", "User:alice", "WRITE", "ALLOW", "10.0.0.1"),
  acl("TOPIC", "orders", "LITERAL", "User:mallory", "ALL", "DENY"),
  acl("TOPIC", "orders", "LITERAL", "User:*", "DESCRIBE"),
  acl("TOPIC", "logs-", "PREFIXED", "User:bob", "ALL"),
  acl("TOPIC", "logs-secret", "LITERAL", "User:bob", "READ", "DENY"),
  acl("TOPIC", "*", "LITERAL", "User:carol", "ALTER_CONFIGS"),
  acl("GROUP", "g1", "LITERAL", "User:alice", "READ"),
  acl("GROUP", "team-", "PREFIXED", "User:*", "READ", "ALLOW", "192.168.1.5"),
  acl("CLUSTER", "kafka-cluster", "LITERAL", "User:ops", "ALTER"),
  acl("CLUSTER", "kafka-cluster", "LITERAL", "User:ops", "IDEMPOTENT_WRITE", "DENY"),
  acl("TRANSACTIONAL_ID", "tx-", "PREFIXED", "User:alice", "WRITE"),
  acl("DELEGATION_TOKEN", "tok1", "LITERAL", "User:alice", "DESCRIBE"),
  acl("TOPIC", "denied-all", "LITERAL", "User:*", "READ", "DENY"),
  acl("TOPIC", "denied-all", "LITERAL", "User:alice", "READ"),
];

type Case = [string, string, AclOperation, ResourceType, string, "ALLOWED" | "DENIED", string];
const CASES: Case[] = [
  ["User:alice", "1.2.3.4", "READ", "TOPIC", "orders", "ALLOWED", "literal ALLOW"],
  ["User:alice", "1.2.3.4", "DESCRIBE", "TOPIC", "orders", "ALLOWED", "READ implies DESCRIBE"],
  ["User:alice", "1.2.3.4", "WRITE", "TOPIC", "orders", "DENIED", "WRITE only from 10.0.0.1"],
  ["User:alice", "10.0.0.1", "WRITE", "TOPIC", "orders", "ALLOWED", "host match"],
  ["User:alice", "1.2.3.4", "DELETE", "TOPIC", "orders", "DENIED", "no ACL for DELETE"],
  ["User:alice", "1.2.3.4", "ALTER", "TOPIC", "orders", "DENIED", "DESCRIBE does not imply ALTER"],
  [
    "User:mallory",
    "1.2.3.4",
    "DESCRIBE",
    "TOPIC",
    "orders",
    "DENIED",
    "DENY ALL wins over the wildcard ALLOW DESCRIBE",
  ],
  ["User:dave", "1.2.3.4", "DESCRIBE", "TOPIC", "orders", "ALLOWED", "wildcard principal"],
  ["User:dave", "1.2.3.4", "READ", "TOPIC", "orders", "DENIED", "DESCRIBE does not imply READ"],
  ["User:bob", "1.2.3.4", "WRITE", "TOPIC", "logs-app", "ALLOWED", "prefixed ALL"],
  ["User:bob", "1.2.3.4", "CREATE", "TOPIC", "logs-new", "ALLOWED", "ALL covers CREATE"],
  ["User:bob", "1.2.3.4", "READ", "TOPIC", "logs-secret", "DENIED", "literal DENY beats prefixed ALLOW"],
  ["User:bob", "1.2.3.4", "DESCRIBE", "TOPIC", "logs-secret", "ALLOWED", "DENY READ does not deny DESCRIBE"],
  ["User:bob", "1.2.3.4", "READ", "TOPIC", "logs", "DENIED", "the prefix is longer than the name"],
  ["User:bob", "1.2.3.4", "READ", "TOPIC", "orders", "DENIED", "other resource"],
  [
    "User:carol",
    "1.2.3.4",
    "DESCRIBE_CONFIGS",
    "TOPIC",
    "anything",
    "ALLOWED",
    "ALTER_CONFIGS implies DESCRIBE_CONFIGS via *",
  ],
  ["User:carol", "1.2.3.4", "DESCRIBE", "TOPIC", "anything", "DENIED", "ALTER_CONFIGS does not imply DESCRIBE"],
  ["User:carol", "1.2.3.4", "ALTER_CONFIGS", "TOPIC", "orders", "ALLOWED", "wildcard resource"],
  ["User:alice", "1.2.3.4", "READ", "GROUP", "g1", "ALLOWED", "group"],
  ["User:alice", "1.2.3.4", "DESCRIBE", "GROUP", "g1", "ALLOWED", "group READ implies DESCRIBE"],
  ["User:alice", "1.2.3.4", "READ", "TOPIC", "g1", "DENIED", "resource type must match"],
  ["User:eve", "192.168.1.5", "READ", "GROUP", "team-a", "ALLOWED", "prefixed group, wildcard principal, host"],
  ["User:eve", "192.168.1.6", "READ", "GROUP", "team-a", "DENIED", "other host"],
  ["User:ops", "1.2.3.4", "ALTER", "CLUSTER", "kafka-cluster", "ALLOWED", "cluster ALTER"],
  ["User:ops", "1.2.3.4", "DESCRIBE", "CLUSTER", "kafka-cluster", "ALLOWED", "cluster ALTER implies DESCRIBE"],
  ["User:ops", "1.2.3.4", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster", "DENIED", "DENY"],
  ["User:alice", "1.2.3.4", "WRITE", "TRANSACTIONAL_ID", "tx-1", "ALLOWED", "prefixed transactional id"],
  ["User:alice", "1.2.3.4", "DESCRIBE", "TRANSACTIONAL_ID", "tx-1", "ALLOWED", "WRITE implies DESCRIBE"],
  ["User:alice", "1.2.3.4", "DESCRIBE", "DELEGATION_TOKEN", "tok1", "ALLOWED", "delegation token"],
  ["User:alice", "1.2.3.4", "READ", "TOPIC", "denied-all", "DENIED", "a wildcard DENY beats a specific ALLOW"],
  ["User:alice", "1.2.3.4", "READ", "TOPIC", "no-acls-here", "DENIED", "no ACL: denied by default"],
  ["User:admin", "1.2.3.4", "ALL", "CLUSTER", "kafka-cluster", "ALLOWED", "super user"],
  ["User:admin", "1.2.3.4", "READ", "TOPIC", "denied-all", "ALLOWED", "a super user ignores DENY"],
];

test("StandardAuthorizer semantics: a table of Kafka's documented cases", () => {
  const a = new StandardAuthorizer(() => ACLS, { superUsers: parseSuperUsers("User:admin;User:root") });
  for (const [principal, host, op, type, name, want, why] of CASES)
    assert.equal(
      a.authorize(principal, host, op, { resourceType: type, name }),
      want,
      `${why}: ${principal} ${op} ${type}:${name} from ${host}`,
    );
});

test("allow.everyone.if.no.acl.found applies only to resources without any ACL", () => {
  const a = new StandardAuthorizer(() => ACLS.filter((b) => b.pattern.name !== "*"), {
    allowEveryoneIfNoAclFound: true,
  });
  assert.equal(a.authorize("User:x", "h", "WRITE", { resourceType: "TOPIC", name: "no-acls-here" }), "ALLOWED");
  // the wildcard-resource ACL is an ACL on every topic
  const withWildcard = new StandardAuthorizer(() => ACLS, { allowEveryoneIfNoAclFound: true });
  assert.equal(
    withWildcard.authorize("User:x", "h", "WRITE", { resourceType: "TOPIC", name: "no-acls-here" }),
    "DENIED",
  );
  assert.equal(a.authorize("User:x", "h", "WRITE", { resourceType: "TOPIC", name: "orders" }), "DENIED");
  // a prefixed ACL for someone else counts as an ACL on the resource
  assert.equal(a.authorize("User:x", "h", "READ", { resourceType: "TOPIC", name: "logs-x" }), "DENIED");
  assert.equal(
    new StandardAuthorizer(() => []).authorize("User:x", "h", "READ", { resourceType: "TOPIC", name: "t" }),
    "DENIED",
  );
});

test("names parse as kafka-acls spells them", () => {
  assert.equal(parseOperation("DescribeConfigs"), "DESCRIBE_CONFIGS");
  assert.equal(parseOperation("idempotent-write"), "IDEMPOTENT_WRITE");
  assert.equal(parseResourceType("TransactionalId"), "TRANSACTIONAL_ID");
  assert.equal(parseResourceType("topic"), "TOPIC");
  assert.throws(() => parseOperation("Frobnicate"), { code: "MR_SECURITY_CONFIG" });
  assert.deepEqual(parseSuperUsers(" User:a ; User:b;"), ["User:a", "User:b"]);
});
