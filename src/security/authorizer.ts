/**
 * Authorization with the semantics of Kafka's StandardAuthorizer: a request is
 * allowed for a super user; else DENY ACLs win over ALLOW ACLs; an ALLOW on
 * READ, WRITE, DELETE or ALTER implies DESCRIBE and ALTER_CONFIGS implies
 * DESCRIBE_CONFIGS; ALL matches every operation; patterns are LITERAL (the name,
 * or the wildcard '*') and PREFIXED; principals match exactly or User:*; hosts
 * exactly or '*'. With no ACL on a resource at all, the answer is
 * allow.everyone.if.no.acl.found (default false). Pure: no I/O.
 */
import {
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
  type AclBinding,
  type AclOperation,
  type Resource,
} from "./acl.js";

export type AuthorizationResult = "ALLOWED" | "DENIED";

export interface AuthorizerOptions {
  /** super.users: principals ("User:admin") allowed everything */
  superUsers?: string[];
  /** allow.everyone.if.no.acl.found */
  allowEveryoneIfNoAclFound?: boolean;
}

/** The Kafka class names `authorizer.class.name` may name to enable this authorizer. */
export const AUTHORIZER_CLASS_NAMES = [
  "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  "kafka.security.authorizer.AclAuthorizer",
];

const IMPLIES_DESCRIBE = new Set<AclOperation>(["READ", "WRITE", "DELETE", "ALTER", "DESCRIBE"]);
const IMPLIES_DESCRIBE_CONFIGS = new Set<AclOperation>(["ALTER_CONFIGS", "DESCRIBE_CONFIGS"]);

function allowMatches(aclOp: AclOperation, op: AclOperation): boolean {
  if (aclOp === "ALL" || aclOp === op) return true;
  if (op === "DESCRIBE") return IMPLIES_DESCRIBE.has(aclOp);
  if (op === "DESCRIBE_CONFIGS") return IMPLIES_DESCRIBE_CONFIGS.has(aclOp);
  return false;
}

function resourceMatches(b: AclBinding, r: Resource): boolean {
  const p = b.pattern;
  if (p.resourceType !== r.resourceType) return false;
  if (p.patternType === "LITERAL") return p.name === r.name || p.name === WILDCARD_RESOURCE;
  return r.name.startsWith(p.name);
}

export class StandardAuthorizer {
  private readonly superUsers: Set<string>;
  private readonly allowIfNoAcl: boolean;

  constructor(
    private readonly acls: () => Iterable<AclBinding>,
    opts: AuthorizerOptions = {},
  ) {
    this.superUsers = new Set(opts.superUsers ?? []);
    this.allowIfNoAcl = opts.allowEveryoneIfNoAclFound ?? false;
  }

  authorize(principal: string, host: string, op: AclOperation, resource: Resource): AuthorizationResult {
    if (this.superUsers.has(principal)) return "ALLOWED";
    let anyForResource = false;
    let allowed = false;
    for (const b of this.acls()) {
      if (!resourceMatches(b, resource)) continue;
      anyForResource = true;
      const e = b.entry;
      if (e.principal !== principal && e.principal !== WILDCARD_PRINCIPAL) continue;
      if (e.host !== host && e.host !== WILDCARD_HOST) continue;
      if (e.permissionType === "DENY") {
        if (e.operation === "ALL" || e.operation === op) return "DENIED";
      } else if (allowMatches(e.operation, op)) allowed = true;
    }
    if (allowed) return "ALLOWED";
    if (!anyForResource && this.allowIfNoAcl) return "ALLOWED";
    return "DENIED";
  }
}

/** super.users is a ';'-separated list of principals in Kafka. */
export function parseSuperUsers(v: string | undefined | null): string[] {
  return (v ?? "")
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
