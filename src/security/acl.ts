/**
 * ACL bindings with Kafka's vocabulary: resource types, pattern types,
 * operations and permission types, with parsing from Kafka's names
 * (case-insensitive, as kafka-acls accepts them).
 */
import { configError } from "./errors.js";

export const RESOURCE_TYPES = ["TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const PATTERN_TYPES = ["LITERAL", "PREFIXED"] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

export const OPERATIONS = [
  "ALL",
  "READ",
  "WRITE",
  "CREATE",
  "DELETE",
  "ALTER",
  "DESCRIBE",
  "CLUSTER_ACTION",
  "DESCRIBE_CONFIGS",
  "ALTER_CONFIGS",
  "IDEMPOTENT_WRITE",
  "CREATE_TOKENS",
  "DESCRIBE_TOKENS",
] as const;
export type AclOperation = (typeof OPERATIONS)[number];

export type AclPermissionType = "ALLOW" | "DENY";

/** Kafka's wildcard resource name and principal. */
export const WILDCARD_RESOURCE = "*";
export const WILDCARD_PRINCIPAL = "User:*";
export const WILDCARD_HOST = "*";
/** The cluster resource's only name. */
export const CLUSTER_NAME = "kafka-cluster";

export interface ResourcePattern {
  resourceType: ResourceType;
  name: string;
  patternType: PatternType;
}

export interface AclEntry {
  principal: string;
  host: string;
  operation: AclOperation;
  permissionType: AclPermissionType;
}

export interface AclBinding {
  pattern: ResourcePattern;
  entry: AclEntry;
}

export interface Resource {
  resourceType: ResourceType;
  name: string;
}

/** Kafka's enum spelling from a CamelCase or UPPER_SNAKE name: "TransactionalId" → "TRANSACTIONAL_ID". */
function normalise(s: string): string {
  return s
    .trim()
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/[-\s]/g, "_")
    .toUpperCase();
}

function oneOf<T extends string>(what: string, all: readonly T[], s: string): T {
  const n = normalise(s);
  if (!(all as readonly string[]).includes(n))
    throw configError(what, `${JSON.stringify(s)} is not one of ${all.join(", ")}`);
  return n as T;
}

export const parseResourceType = (s: string): ResourceType => oneOf("resource type", RESOURCE_TYPES, s);
export const parsePatternType = (s: string): PatternType => oneOf("pattern type", PATTERN_TYPES, s);
export const parseOperation = (s: string): AclOperation => oneOf("operation", OPERATIONS, s);
export function parsePermissionType(s: string): AclPermissionType {
  return oneOf("permission type", ["ALLOW", "DENY"] as const, s);
}

export function bindingKey(b: AclBinding): string {
  const p = b.pattern;
  const e = b.entry;
  return JSON.stringify([p.resourceType, p.patternType, p.name, e.principal, e.host, e.operation, e.permissionType]);
}

/** Kafka's validation of a binding that is to be created. */
export function validateBinding(b: AclBinding): void {
  if (b.pattern.name === "") throw configError("resource name", "must not be empty");
  if (b.pattern.patternType === "PREFIXED" && b.pattern.name === WILDCARD_RESOURCE)
    throw configError("resource name", "a PREFIXED pattern cannot be the wildcard '*'");
  if (!/^[^:]+:.+$/.test(b.entry.principal))
    throw configError("principal", `${JSON.stringify(b.entry.principal)} is not Type:name (e.g. User:alice)`);
  if (b.entry.host === "") throw configError("host", "must not be empty (use '*' for every host)");
}
