import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AclBinding } from "../../src/security/acl.js";
import { scramCredential, ScramSaslClient, ScramSaslServer } from "../../src/security/sasl/scram.js";
import { AclStore, ScramCredentialStore } from "../../src/security/stores.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "millrace-sec-store-"));
  dirs.push(d);
  return d;
}

test("SCRAM credentials survive a reopen, stored salted (never the password), and still authenticate", async () => {
  const d = dir();
  const s = ScramCredentialStore.open(d);
  await s.upsert("SCRAM-SHA-512", "alice", scramCredential("SCRAM-SHA-512", "alice-password-xyz", 8192));
  s.upsertSync("SCRAM-SHA-256", "bob", scramCredential("SCRAM-SHA-256", "bob-password-xyz"));
  const text = readFileSync(s.path, "utf8");
  assert.ok(!text.includes("alice-password-xyz") && !text.includes("bob-password-xyz"));
  const r = ScramCredentialStore.open(d);
  assert.deepEqual(
    r.list().sort((a, b) => a.user.localeCompare(b.user)),
    [
      { user: "alice", mechanism: "SCRAM-SHA-512", iterations: 8192 },
      { user: "bob", mechanism: "SCRAM-SHA-256", iterations: 4096 },
    ],
  );
  const server = new ScramSaslServer("SCRAM-SHA-512", (m, u) => r.get(m, u));
  const client = new ScramSaslClient("SCRAM-SHA-512", "alice", "alice-password-xyz");
  const first = await server.evaluateResponse(client.initialResponse());
  client.evaluateChallenge(await server.evaluateResponse(client.evaluateChallenge(first)!));
  assert.ok(client.isComplete() && server.isComplete());
  assert.equal(await r.delete("SCRAM-SHA-512", "alice"), true);
  assert.equal(await r.delete("SCRAM-SHA-512", "alice"), false);
  assert.equal(ScramCredentialStore.open(d).get("SCRAM-SHA-512", "alice"), undefined);
});

test("ACLs survive a reopen; invalid bindings are refused; a corrupt file names its path", async () => {
  const d = dir();
  const s = AclStore.open(d);
  const b: AclBinding = {
    pattern: { resourceType: "TOPIC", name: "t", patternType: "LITERAL" },
    entry: { principal: "User:alice", host: "*", operation: "READ", permissionType: "ALLOW" },
  };
  await s.add([b, b, { ...b, entry: { ...b.entry, operation: "WRITE" } }]);
  assert.equal([...AclStore.open(d).all()].length, 2);
  await assert.rejects(s.add([{ ...b, entry: { ...b.entry, principal: "alice" } }]), { code: "MR_SECURITY_CONFIG" });
  await assert.rejects(s.add([{ ...b, pattern: { ...b.pattern, name: "*", patternType: "PREFIXED" } }]), {
    code: "MR_SECURITY_CONFIG",
  });
  const removed = await s.remove((x) => x.entry.operation === "WRITE");
  assert.equal(removed.length, 1);
  assert.deepEqual([...AclStore.open(d).all()], [b]);
  writeFileSync(join(d, "acls.json"), "{ not json");
  assert.throws(
    () => AclStore.open(d),
    (e: Error & { code?: string }) =>
      e.code === "MR_SECURITY_STORE_CORRUPT" && e.message.includes(join(d, "acls.json")),
  );
  writeFileSync(join(d, "scram-credentials.json"), JSON.stringify({ credentials: [{ mechanism: "MD5", user: "x" }] }));
  assert.throws(() => ScramCredentialStore.open(d), { code: "MR_SECURITY_STORE_CORRUPT" });
});
