import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ScramSaslClient,
  ScramSaslServer,
  decodeSaslName,
  encodeSaslName,
  scramCredential,
  type ScramCredential,
  type ScramMechanism,
} from "../../../src/security/sasl/scram.js";

// RFC 7677 section 3: user "user", password "pencil"
const RFC = {
  clientNonce: "rOprNGfwEbeRWgbNEkqO",
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  salt: Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64"),
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

test("SCRAM-SHA-256 server and client reproduce the RFC 7677 exchange", async () => {
  const cred = scramCredential("SCRAM-SHA-256", "pencil", 4096, RFC.salt);
  const server = new ScramSaslServer(
    "SCRAM-SHA-256",
    (m, u) => (m === "SCRAM-SHA-256" && u === "user" ? cred : undefined),
    () => RFC.serverNonce,
  );
  const client = new ScramSaslClient("SCRAM-SHA-256", "user", "pencil", {}, RFC.clientNonce);
  assert.equal(client.initialResponse().toString(), RFC.clientFirst);
  assert.equal((await server.evaluateResponse(Buffer.from(RFC.clientFirst))).toString(), RFC.serverFirst);
  assert.equal(client.evaluateChallenge(Buffer.from(RFC.serverFirst))!.toString(), RFC.clientFinal);
  assert.equal((await server.evaluateResponse(Buffer.from(RFC.clientFinal))).toString(), RFC.serverFinal);
  assert.equal(client.evaluateChallenge(Buffer.from(RFC.serverFinal)), null);
  assert.ok(server.isComplete() && client.isComplete());
  assert.equal(server.authorizationId(), "user");
});

function store(
  mech: ScramMechanism,
  users: Record<string, string>,
): (m: ScramMechanism, u: string) => ScramCredential | undefined {
  const creds = new Map(Object.entries(users).map(([u, p]) => [u, scramCredential(mech, p, 4096)]));
  return (m, u) => (m === mech ? creds.get(u) : undefined);
}

async function exchange(server: ScramSaslServer, client: ScramSaslClient): Promise<void> {
  const first = await server.evaluateResponse(client.initialResponse());
  const final = await server.evaluateResponse(client.evaluateChallenge(first)!);
  assert.equal(client.evaluateChallenge(final), null);
}

test("SCRAM-SHA-512 round trip; names with ',' and '=' are escaped", async () => {
  const lookup = store("SCRAM-SHA-512", { "a,b=c": "pw" });
  const server = new ScramSaslServer("SCRAM-SHA-512", lookup);
  await exchange(server, new ScramSaslClient("SCRAM-SHA-512", "a,b=c", "pw"));
  assert.equal(server.authorizationId(), "a,b=c");
  assert.equal(encodeSaslName("a,b=c"), "a=2Cb=3Dc");
  assert.equal(decodeSaslName("a=2Cb=3Dc"), "a,b=c");
  assert.throws(() => decodeSaslName("a=4Fb"), /Invalid username/);
});

test("a credential keeps salt, StoredKey, ServerKey and iterations, never the password; iterations are bounded", () => {
  const c = scramCredential("SCRAM-SHA-256", "hunter2");
  assert.deepEqual(Object.keys(c).sort(), ["iterations", "salt", "serverKey", "storedKey"]);
  assert.ok(!JSON.stringify(c).includes("hunter2"));
  assert.throws(() => scramCredential("SCRAM-SHA-256", "x", 4095), { code: "MR_SECURITY_CONFIG" });
  assert.throws(() => scramCredential("SCRAM-SHA-256", "x", 16385), { code: "MR_SECURITY_CONFIG" });
});

test("SCRAM: wrong password, unknown user, wrong mechanism's credential, tokenauth, tampered nonce fail", async () => {
  const lookup = store("SCRAM-SHA-256", { alice: "right" });
  const wrong = new ScramSaslServer("SCRAM-SHA-256", lookup);
  await assert.rejects(exchange(wrong, new ScramSaslClient("SCRAM-SHA-256", "alice", "wrong")), {
    message: "Authentication failed: Invalid client credentials",
  });
  assert.equal(wrong.isComplete(), false);
  await assert.rejects(
    new ScramSaslServer("SCRAM-SHA-256", lookup).evaluateResponse(
      new ScramSaslClient("SCRAM-SHA-256", "carol", "x").initialResponse(),
    ),
    { message: "Authentication failed: Invalid user credentials" },
  );
  await assert.rejects(
    new ScramSaslServer("SCRAM-SHA-512", lookup).evaluateResponse(
      new ScramSaslClient("SCRAM-SHA-512", "alice", "right").initialResponse(),
    ),
    { message: "Authentication failed: Invalid user credentials" },
  );
  const tok = new ScramSaslClient("SCRAM-SHA-256", "alice", "right", { tokenauth: "true" });
  await assert.rejects(
    new ScramSaslServer("SCRAM-SHA-256", lookup).evaluateResponse(tok.initialResponse()),
    /delegation tokens/,
  );
  // other extensions are ignored, as Kafka does
  await exchange(
    new ScramSaslServer("SCRAM-SHA-256", lookup),
    new ScramSaslClient("SCRAM-SHA-256", "alice", "right", { foo: "bar" }),
  );
  const s = new ScramSaslServer("SCRAM-SHA-256", lookup);
  const c = new ScramSaslClient("SCRAM-SHA-256", "alice", "right");
  const first = await s.evaluateResponse(c.initialResponse());
  const final = c
    .evaluateChallenge(first)!
    .toString()
    .replace(/,r=([^,]*)/, ",r=$1x");
  await assert.rejects(s.evaluateResponse(Buffer.from(final)), /nonce mismatch/);
  await assert.rejects(s.evaluateResponse(Buffer.from("anything")), /Unexpected SCRAM message/);
  for (const bad of [
    "",
    "p=tls-unique,,n=a,r=b",
    "n,,r=abc",
    "n,,n=alice",
    "n,,m=ext,n=a,r=b",
    "n,a=bob,n=alice,r=xyz",
  ])
    await assert.rejects(
      new ScramSaslServer("SCRAM-SHA-256", lookup).evaluateResponse(Buffer.from(bad)),
      { code: "MR_SECURITY_AUTH_FAILED" },
      bad,
    );
});

test("the SCRAM client refuses fewer than 4096 iterations and a wrong server signature", async () => {
  const c = new ScramSaslClient("SCRAM-SHA-256", "u", "p", {}, "abc");
  c.initialResponse();
  assert.throws(() => c.evaluateChallenge(Buffer.from("r=abcdef,s=AAAA,i=1000")), /less than the minimum 4096/);
  const lookup = store("SCRAM-SHA-256", { u: "p" });
  const s = new ScramSaslServer("SCRAM-SHA-256", lookup);
  const c2 = new ScramSaslClient("SCRAM-SHA-256", "u", "p");
  const first = await s.evaluateResponse(c2.initialResponse());
  await s.evaluateResponse(c2.evaluateChallenge(first)!);
  assert.throws(
    () => c2.evaluateChallenge(Buffer.from(`v=${Buffer.alloc(32).toString("base64")}`)),
    /Invalid SCRAM server signature/,
  );
});
