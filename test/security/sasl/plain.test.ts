import { test } from "node:test";
import assert from "node:assert/strict";
import { PlainSaslClient, PlainSaslServer } from "../../../src/security/sasl/plain.js";

const users = new Map([
  ["alice", "alice-secret"],
  ["bob", "bob-secret"],
]);

test("PLAIN: the client's message authenticates against the JAAS users", async () => {
  const s = new PlainSaslServer(users);
  const c = new PlainSaslClient("alice", "alice-secret");
  assert.equal((await s.evaluateResponse(c.initialResponse())).length, 0);
  assert.ok(s.isComplete());
  assert.equal(s.authorizationId(), "alice");
  const s2 = new PlainSaslServer(users);
  await s2.evaluateResponse(Buffer.from("bob\u0000bob\u0000bob-secret"));
  assert.equal(s2.authorizationId(), "bob");
});

test(
  "PLAIN: wrong password, unknown user, another authzid and malformed messages fail with Kafka's " + "messages",
  async () => {
    const cases: [string, RegExp][] = [
      ["\u0000alice\u0000wrong", /^Authentication failed: Invalid username or password$/],
      ["\u0000carol\u0000alice-secret", /^Authentication failed: Invalid username or password$/],
      ["bob\u0000alice\u0000alice-secret", /authorization id that is different from username/],
      ["\u0000\u0000x", /username not specified/],
      ["\u0000alice\u0000", /password not specified/],
      ["alice-secret", /expected 3 tokens/],
    ];
    for (const [msg, re] of cases) {
      const s = new PlainSaslServer(users);
      await assert.rejects(s.evaluateResponse(Buffer.from(msg)), { code: "MR_SECURITY_AUTH_FAILED", message: re });
      assert.equal(s.isComplete(), false);
      assert.throws(() => s.authorizationId());
    }
  },
);
