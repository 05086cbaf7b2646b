import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import {
  OAuthBearerSaslClient,
  OAuthBearerSaslServer,
  OAuthBearerValidator,
  parseClientInitialResponse,
} from "../../../src/security/sasl/oauthbearer.js";

const dir = mkdtempSync(join(tmpdir(), "millrace-jwks-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const rsa = await generateKeyPair("RS256");
const ec = await generateKeyPair("ES256");
const other = await generateKeyPair("RS256");
const jwks = {
  keys: [
    { ...(await exportJWK(rsa.publicKey)), kid: "rsa1", alg: "RS256", use: "sig" } as JWK,
    { ...(await exportJWK(ec.publicKey)), kid: "ec1", alg: "ES256", use: "sig" } as JWK,
  ],
};
const jwksPath = join(dir, "jwks.json");
writeFileSync(jwksPath, JSON.stringify(jwks));
const NOW = 1_800_000_000_000;
const sec = (ms: number) => Math.floor(ms / 1000);

async function token(
  opts: {
    alg?: string;
    kid?: string;
    key?: CryptoKey;
    claims?: Record<string, unknown>;
    exp?: number;
    noSub?: boolean;
  } = {},
): Promise<string> {
  const alg = opts.alg ?? "RS256";
  const jwt = new SignJWT({ ...(opts.noSub ? {} : { sub: "alice" }), ...opts.claims })
    .setProtectedHeader({ alg, kid: opts.kid ?? (alg === "ES256" ? "ec1" : "rsa1") })
    .setIssuedAt(sec(NOW));
  if (!opts.claims?.iss) jwt.setIssuer("https://idp.example");
  if (!opts.claims?.aud) jwt.setAudience("kafka");
  if (opts.exp !== -1) jwt.setExpirationTime(opts.exp ?? sec(NOW) + 3600);
  return jwt.sign(opts.key ?? (alg === "ES256" ? ec.privateKey : rsa.privateKey));
}

function validator(extra: Partial<ConstructorParameters<typeof OAuthBearerValidator>[0]> = {}): OAuthBearerValidator {
  return new OAuthBearerValidator({
    jwksEndpointUrl: pathToFileURL(jwksPath).href,
    expectedAudience: ["kafka"],
    expectedIssuer: "https://idp.example",
    now: () => NOW,
    ...extra,
  });
}

test("OAUTHBEARER: RS256 and ES256 tokens from a JWKS file; the principal is the sub claim", async () => {
  for (const alg of ["RS256", "ES256"]) {
    const s = new OAuthBearerSaslServer(validator(), () => NOW);
    const c = new OAuthBearerSaslClient(await token({ alg }));
    const reply = await s.evaluateResponse(c.initialResponse());
    assert.equal(reply.length, 0);
    assert.equal(c.evaluateChallenge(reply), null);
    assert.ok(s.isComplete());
    assert.equal(s.authorizationId(), "alice");
    assert.equal(s.sessionLifetimeMs(), 3600_000);
  }
  const v = validator({ subClaimName: "client_id" });
  assert.equal((await v.validate(await token({ claims: { client_id: "svc-1" } }))).principal, "svc-1");
});

test(
  "OAUTHBEARER: expired, wrong audience/issuer, foreign key, no exp, no sub, garbage are refused (RFC 7628 " +
    "error challenge)",
  async () => {
    const cases: [string, Promise<string>, RegExp][] = [
      ["expired", token({ exp: sec(NOW) - 60 }), /ERR_JWT_EXPIRED/],
      ["audience", token({ claims: { aud: "other" } }), /ERR_JWT_CLAIM_VALIDATION_FAILED/],
      ["issuer", token({ claims: { iss: "https://evil" } }), /ERR_JWT_CLAIM_VALIDATION_FAILED/],
      ["foreign key", token({ key: other.privateKey }), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
      ["no exp", token({ exp: -1 }), /exp/],
      ["no sub", token({ noSub: true }), /sub/],
      ["garbage", Promise.resolve("not.a.jwt"), /invalid token/],
    ];
    for (const [what, tok, re] of cases) {
      const s = new OAuthBearerSaslServer(validator(), () => NOW);
      const c = new OAuthBearerSaslClient(await tok);
      const challenge = await s.evaluateResponse(c.initialResponse());
      assert.deepEqual(JSON.parse(challenge.toString()), { status: "invalid_token" }, what);
      const ack = c.evaluateChallenge(challenge)!;
      assert.equal(ack.toString(), "\x01");
      await assert.rejects(s.evaluateResponse(ack), { code: "MR_SECURITY_AUTH_FAILED", message: re }, what);
      assert.equal(s.isComplete(), false);
    }
    // within the clock skew (30 s by default) an expired token is still accepted
    await validator().validate(await token({ exp: sec(NOW) - 10 }));
  },
);

test("OAUTHBEARER: the RFC 7628 client first message, with extensions; malformed ones fail", async () => {
  const msg = new OAuthBearerSaslClient("abc.def.ghi", { traceId: "42" }).initialResponse().toString();
  assert.equal(msg, "n,,\x01auth=Bearer abc.def.ghi\x01traceId=42\x01\x01");
  const p = parseClientInitialResponse(msg);
  assert.equal(p.token, "abc.def.ghi");
  assert.equal(p.extensions.get("traceId"), "42");
  for (const bad of [
    "",
    "n,,\x01auth=Basic x\x01\x01",
    "n,,\x01\x01",
    "y,,\x01auth=Bearer x\x01\x01",
    "n,,auth=Bearer x",
  ])
    assert.throws(() => parseClientInitialResponse(bad), { code: "MR_SECURITY_AUTH_FAILED" }, JSON.stringify(bad));
});

test("OAUTHBEARER: a JWKS served over HTTP; a bad JWKS URL is a config error", async () => {
  const srv = createServer((_, res) => res.end(JSON.stringify(jwks)));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  try {
    const port = (srv.address() as { port: number }).port;
    const v = validator({ jwksEndpointUrl: `http://127.0.0.1:${port}/jwks` });
    assert.equal((await v.validate(await token({ alg: "ES256" }))).principal, "alice");
  } finally {
    srv.close();
  }
  assert.throws(() => validator({ jwksEndpointUrl: "ftp://x" }), { code: "MR_SECURITY_CONFIG" });
  assert.throws(() => validator({ jwksEndpointUrl: pathToFileURL(join(dir, "missing.json")).href }), {
    code: "MR_SECURITY_CONFIG",
  });
});
