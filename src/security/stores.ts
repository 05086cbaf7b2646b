/**
 * The broker's durable security state under its log dir: SCRAM credentials
 * (salted: salt, StoredKey, ServerKey, iterations — never a password) and ACL
 * bindings. Each is one JSON file replaced atomically (src/fs) on every
 * change and read once on start; a malformed file stops the broker with its path.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeFileAtomicSync } from "../fs/index.js";
import {
  bindingKey,
  parseOperation,
  parsePatternType,
  parsePermissionType,
  parseResourceType,
  validateBinding,
  type AclBinding,
} from "./acl.js";
import { SecurityError } from "./errors.js";
import { isScramMechanism, type ScramCredential, type ScramMechanism } from "./sasl/scram.js";

export const SCRAM_CREDENTIALS_FILE = "scram-credentials.json";
export const ACLS_FILE = "acls.json";

function readJson(path: string): unknown {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new SecurityError("MR_SECURITY_STORE_CORRUPT", `${path}: ${(e as Error).message}`);
  }
}

interface StoredCredential {
  mechanism: string;
  user: string;
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

export class ScramCredentialStore {
  private creds = new Map<string, ScramCredential>();
  private constructor(readonly path: string) {}

  /** Loads `<dir>/scram-credentials.json` (empty when absent). */
  static open(dir: string): ScramCredentialStore {
    const s = new ScramCredentialStore(join(dir, SCRAM_CREDENTIALS_FILE));
    const data = readJson(s.path) as { credentials?: StoredCredential[] } | null;
    for (const c of data?.credentials ?? []) {
      if (!isScramMechanism(c.mechanism) || typeof c.user !== "string" || !(c.iterations >= 4096))
        throw new SecurityError("MR_SECURITY_STORE_CORRUPT", `${s.path}: a malformed credential entry`);
      s.creds.set(key(c.mechanism, c.user), {
        salt: Buffer.from(c.salt, "base64"),
        storedKey: Buffer.from(c.storedKey, "base64"),
        serverKey: Buffer.from(c.serverKey, "base64"),
        iterations: c.iterations,
      });
    }
    return s;
  }

  get(mech: ScramMechanism, user: string): ScramCredential | undefined {
    return this.creds.get(key(mech, user));
  }

  /** Users and their mechanisms/iterations (what DescribeUserScramCredentials shows). */
  list(): { user: string; mechanism: ScramMechanism; iterations: number }[] {
    return [...this.creds].map(([k, c]) => {
      const [mechanism, user] = JSON.parse(k) as [ScramMechanism, string];
      return { user, mechanism, iterations: c.iterations };
    });
  }

  async upsert(mech: ScramMechanism, user: string, cred: ScramCredential): Promise<void> {
    this.creds.set(key(mech, user), cred);
    await writeFileAtomic(this.path, this.serialise());
  }

  async delete(mech: ScramMechanism, user: string): Promise<boolean> {
    const had = this.creds.delete(key(mech, user));
    if (had) await writeFileAtomic(this.path, this.serialise());
    return had;
  }

  /** upsert, synchronously (the offline `millrace storage add-scram`). */
  upsertSync(mech: ScramMechanism, user: string, cred: ScramCredential): void {
    this.creds.set(key(mech, user), cred);
    writeFileAtomicSync(this.path, this.serialise(), { mkdir: true });
  }

  private serialise(): string {
    const credentials: StoredCredential[] = [...this.creds].map(([k, c]) => {
      const [mechanism, user] = JSON.parse(k) as [string, string];
      return {
        mechanism,
        user,
        salt: c.salt.toString("base64"),
        storedKey: c.storedKey.toString("base64"),
        serverKey: c.serverKey.toString("base64"),
        iterations: c.iterations,
      };
    });
    return `${JSON.stringify({ version: 1, credentials }, null, 2)}\n`;
  }
}

function key(mech: string, user: string): string {
  return JSON.stringify([mech, user]);
}

export class AclStore {
  private bindings = new Map<string, AclBinding>();
  private constructor(readonly path: string) {}

  /** Loads `<dir>/acls.json` (empty when absent). */
  static open(dir: string): AclStore {
    const s = new AclStore(join(dir, ACLS_FILE));
    const data = readJson(s.path) as { acls?: Record<string, string>[] } | null;
    for (const a of data?.acls ?? []) {
      let b: AclBinding;
      try {
        b = {
          pattern: {
            resourceType: parseResourceType(a.resourceType),
            name: a.name,
            patternType: parsePatternType(a.patternType),
          },
          entry: {
            principal: a.principal,
            host: a.host,
            operation: parseOperation(a.operation),
            permissionType: parsePermissionType(a.permissionType),
          },
        };
        validateBinding(b);
      } catch (e) {
        throw new SecurityError("MR_SECURITY_STORE_CORRUPT", `${s.path}: ${(e as Error).message}`);
      }
      s.bindings.set(bindingKey(b), b);
    }
    return s;
  }

  all(): Iterable<AclBinding> {
    return this.bindings.values();
  }

  /** Adds bindings (validated first; none is added when one is invalid) and persists them. */
  async add(bindings: AclBinding[]): Promise<void> {
    bindings.forEach(validateBinding);
    for (const b of bindings) this.bindings.set(bindingKey(b), b);
    await writeFileAtomic(this.path, this.serialise());
  }

  /** Removes the bindings `match` selects and persists; returns them. */
  async remove(match: (b: AclBinding) => boolean): Promise<AclBinding[]> {
    const removed = [...this.bindings].filter(([, b]) => match(b));
    for (const [k] of removed) this.bindings.delete(k);
    if (removed.length > 0) await writeFileAtomic(this.path, this.serialise());
    return removed.map(([, b]) => b);
  }

  private serialise(): string {
    const acls = [...this.bindings.values()].map((b) => ({ ...b.pattern, ...b.entry }));
    return `${JSON.stringify({ version: 1, acls }, null, 2)}\n`;
  }
}
