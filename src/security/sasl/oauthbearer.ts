/**
 * SASL/OAUTHBEARER (RFC 7628) with JWT validation as Kafka's
 * OAuthBearerValidatorCallbackHandler does it: signature against a JWKS
 * (sasl.oauthbearer.jwks.endpoint.url, https:// or file://), expected audience
 * and issuer, clock skew, `exp` required, the principal from the `sub` claim
 * (sasl.oauthbearer.sub.claim.name). JWT/JWKS handling is the `jose` library.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey, type JSONWebKeySet } from "jose";
import { AuthenticationError, configError } from "../errors.js";
import type { SaslClient, SaslServer } from "./types.js";

export interface OAuthBearerValidatorOptions {
  /** sasl.oauthbearer.jwks.endpoint.url: https://..., http://... or file:///path/jwks.json */
  jwksEndpointUrl: string;
  /** sasl.oauthbearer.expected.audience */
  expectedAudience?: string[];
  /** sasl.oauthbearer.expected.issuer */
  expectedIssuer?: string;
  /** sasl.oauthbearer.clock.skew.seconds (default 30) */
  clockSkewSeconds?: number;
  /** sasl.oauthbearer.sub.claim.name (default "sub") */
  subClaimName?: string;
  /** now, for tests */
  now?: () => number;
}

export interface ValidatedToken {
  principal: string;
  expiresAtMs: number;
}

const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

export class OAuthBearerValidator {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly opts: OAuthBearerValidatorOptions) {
    const url = opts.jwksEndpointUrl;
    if (url.startsWith("file:")) {
      let jwks: JSONWebKeySet;
      try {
        jwks = JSON.parse(readFileSync(fileURLToPath(url), "utf8")) as JSONWebKeySet;
      } catch (e) {
        throw configError(
          "sasl.oauthbearer.jwks.endpoint.url",
          `cannot read a JWKS from ${url}: ${(e as Error).message}`,
        );
      }
      this.keys = createLocalJWKSet(jwks);
    } else if (/^https?:\/\//.test(url)) {
      this.keys = createRemoteJWKSet(new URL(url));
    } else {
      throw configError(
        "sasl.oauthbearer.jwks.endpoint.url",
        `${JSON.stringify(url)} is not an https://, http:// or file:// URL`,
      );
    }
  }

  async validate(token: string): Promise<ValidatedToken> {
    const subClaim = this.opts.subClaimName ?? "sub";
    const now = this.opts.now?.() ?? Date.now();
    let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        audience: this.opts.expectedAudience?.length ? this.opts.expectedAudience : undefined,
        issuer: this.opts.expectedIssuer || undefined,
        clockTolerance: this.opts.clockSkewSeconds ?? 30,
        requiredClaims: ["exp", subClaim],
        currentDate: new Date(now),
      }));
    } catch (e) {
      const code = (e as { code?: string }).code ?? "ERR_JWT_INVALID";
      throw new AuthenticationError(`Authentication failed: invalid token (${code}: ${(e as Error).message})`);
    }
    const principal = payload[subClaim];
    if (typeof principal !== "string" || principal === "")
      throw new AuthenticationError(`Authentication failed: the ${subClaim} claim is not a non-empty string`);
    return { principal, expiresAtMs: Number(payload.exp) * 1000 };
  }
}

/** Parses an RFC 7628 client first message: gs2-header ^A auth=Bearer <token> ^A (key=value ^A)* ^A */
export function parseClientInitialResponse(msg: string): {
  token: string;
  authzid: string;
  extensions: Map<string, string>;
} {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: \x01 separates the fields of the GS2 message (RFC 7628)
  const m = /^n,(a=[^,]*)?,\x01(.*)\x01\x01$/s.exec(msg);
  if (!m) throw new AuthenticationError("Invalid OAUTHBEARER client first message");
  const extensions = new Map<string, string>();
  let token: string | null = null;
  for (const kv of m[2].split("\x01")) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new AuthenticationError("Invalid OAUTHBEARER client first message: bad key/value");
    const k = kv.slice(0, i);
    const v = kv.slice(i + 1);
    if (k === "auth") {
      const b = /^Bearer ([\x21-\x7e]+)$/i.exec(v);
      if (!b) throw new AuthenticationError("Invalid OAUTHBEARER client first message: auth is not 'Bearer <token>'");
      token = b[1];
    } else extensions.set(k, v);
  }
  if (token === null) throw new AuthenticationError("Invalid OAUTHBEARER client first message: no auth");
  return { token, authzid: m[1]?.slice(2) ?? "", extensions };
}

export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = "OAUTHBEARER";
  private state: "first" | "error-sent" | "complete" | "failed" = "first";
  private principal = "";
  private expiresAtMs = 0;
  private failure = "";

  constructor(
    private readonly validator: OAuthBearerValidator,
    private readonly now: () => number = Date.now,
  ) {}

  async evaluateResponse(token: Buffer): Promise<Buffer> {
    if (this.state === "error-sent") {
      // RFC 7628 3.2.3: after the error challenge the client sends a lone ^A, then the exchange fails
      this.state = "failed";
      throw new AuthenticationError(this.failure);
    }
    if (this.state !== "first") throw new AuthenticationError(`Unexpected OAUTHBEARER message in state ${this.state}`);
    const msg = parseClientInitialResponse(token.toString("utf8"));
    try {
      const v = await this.validator.validate(msg.token);
      if (msg.authzid !== "" && msg.authzid !== v.principal)
        throw new AuthenticationError("Authentication failed: the authorization id is not the token's principal");
      this.principal = v.principal;
      this.expiresAtMs = v.expiresAtMs;
      this.state = "complete";
      return Buffer.alloc(0);
    } catch (e) {
      if (!(e instanceof AuthenticationError)) throw e;
      this.failure = e.message;
      this.state = "error-sent";
      return Buffer.from(JSON.stringify({ status: "invalid_token" }), "utf8");
    }
  }

  isComplete(): boolean {
    return this.state === "complete";
  }

  authorizationId(): string {
    if (this.state !== "complete") throw new AuthenticationError("Authentication exchange has not completed");
    return this.principal;
  }

  sessionLifetimeMs(): number {
    return Math.max(0, this.expiresAtMs - this.now());
  }
}

export class OAuthBearerSaslClient implements SaslClient {
  readonly mechanism = "OAUTHBEARER";
  private done = false;
  constructor(
    private readonly token: string,
    private readonly extensions: Record<string, string> = {},
  ) {}
  initialResponse(): Buffer {
    const ext = Object.entries(this.extensions).map(([k, v]) => `${k}=${v}\x01`);
    return Buffer.from(`n,,\x01auth=Bearer ${this.token}\x01${ext.join("")}\x01`, "utf8");
  }
  evaluateChallenge(token: Buffer): Buffer | null {
    if (token.length > 0) {
      // an error challenge: answer with ^A so the server ends the exchange with its error
      return Buffer.from("\x01");
    }
    this.done = true;
    return null;
  }
  isComplete(): boolean {
    return this.done;
  }
}
