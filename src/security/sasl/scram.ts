/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka implements
 * them: no channel binding (gs2 "n"), iterations >= 4096, credentials kept as
 * salt/StoredKey/ServerKey/iterations (never the password), the `tokenauth`
 * extension (delegation tokens) refused, unknown extensions ignored.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { AuthenticationError, configError } from "../errors.js";
import type { SaslClient, SaslServer } from "./types.js";

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";
export const SCRAM_MECHANISMS: ScramMechanism[] = ["SCRAM-SHA-256", "SCRAM-SHA-512"];
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

const HASH: Record<ScramMechanism, { hash: string; len: number }> = {
  "SCRAM-SHA-256": { hash: "sha256", len: 32 },
  "SCRAM-SHA-512": { hash: "sha512", len: 64 },
};

export function isScramMechanism(m: string): m is ScramMechanism {
  return m === "SCRAM-SHA-256" || m === "SCRAM-SHA-512";
}

function hmac(mech: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(HASH[mech].hash, key).update(data).digest();
}
function h(mech: ScramMechanism, data: Buffer): Buffer {
  return createHash(HASH[mech].hash).update(data).digest();
}
function saltedPassword(mech: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, HASH[mech].len, HASH[mech].hash);
}
function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** A credential for `password` with a fresh random salt (or the given one). */
export function scramCredential(
  mech: ScramMechanism,
  password: string,
  iterations = SCRAM_MIN_ITERATIONS,
  salt: Buffer = randomBytes(32),
): ScramCredential {
  if (!Number.isInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS)
    throw configError(
      "iterations",
      `must be between ${SCRAM_MIN_ITERATIONS} and ${SCRAM_MAX_ITERATIONS}, got ${iterations}`,
    );
  const sp = saltedPassword(mech, password, salt, iterations);
  const clientKey = hmac(mech, sp, "Client Key");
  return { salt, storedKey: h(mech, clientKey), serverKey: hmac(mech, sp, "Server Key"), iterations };
}

/** RFC 5802 saslname: ',' and '=' escaped as =2C and =3D. */
export function encodeSaslName(s: string): string {
  return s.replace(/=/g, "=3D").replace(/,/g, "=2C");
}
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new AuthenticationError(`Invalid username: ${s}`);
  return s.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

function attrs(msg: string): [string, string][] {
  return msg.split(",").map((a) => {
    const i = a.indexOf("=");
    if (i !== 1) throw new AuthenticationError(`Invalid SCRAM message attribute ${JSON.stringify(a.slice(0, 20))}`);
    return [a[0], a.slice(2)];
  });
}

const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export type CredentialLookup = (mech: ScramMechanism, user: string) => ScramCredential | undefined;

export class ScramSaslServer implements SaslServer {
  private state: "first" | "final" | "complete" | "failed" = "first";
  private user = "";
  private gs2 = "";
  private nonce = "";
  private clientFirstBare = "";
  private serverFirst = "";
  private cred: ScramCredential | undefined;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: CredentialLookup,
    /** the server's part of the nonce (tests with RFC vectors fix it) */
    private readonly serverNonce: () => string = () => randomBytes(18).toString("base64").replace(/,/g, "-"),
  ) {}

  async evaluateResponse(token: Buffer): Promise<Buffer> {
    try {
      if (this.state === "first") return this.first(token.toString("utf8"));
      if (this.state === "final") return this.final(token.toString("utf8"));
      throw new AuthenticationError(`Unexpected SCRAM message in state ${this.state}`);
    } catch (e) {
      this.state = "failed";
      throw e;
    }
  }

  private first(msg: string): Buffer {
    const m = /^(n|y|p=[^,]*),(a=[^,]*)?,(.*)$/.exec(msg);
    if (!m) throw new AuthenticationError("Invalid SCRAM client first message");
    if (m[1] !== "n" && m[1] !== "y") throw new AuthenticationError("Channel binding is not supported");
    this.gs2 = `${m[1]},${m[2] ?? ""},`;
    this.clientFirstBare = m[3];
    const parts = m[3].split(",");
    const a = attrs(parts.slice(0, 2).join(","));
    if (a[0]?.[0] === "m") throw new AuthenticationError("Mandatory SCRAM extensions are not supported");
    if (a[0]?.[0] !== "n" || a[1]?.[0] !== "r") throw new AuthenticationError("Invalid SCRAM client first message");
    this.user = decodeSaslName(a[0][1]);
    const clientNonce = a[1][1];
    if (!NONCE.test(clientNonce)) throw new AuthenticationError("Invalid SCRAM client nonce");
    // extensions (key=value after the nonce): Kafka's tokenauth=true asks for delegation tokens; others are ignored
    if (parts.slice(2).some((e) => /^tokenauth=true$/i.test(e)))
      throw new AuthenticationError("Authentication failed: delegation tokens are not supported");
    const authzid = m[2]?.slice(2);
    if (authzid && decodeSaslName(authzid) !== this.user)
      throw new AuthenticationError(
        "Authentication failed: Client requested an authorization id that is different from username",
      );
    this.cred = this.lookup(this.mechanism, this.user);
    if (!this.cred) throw new AuthenticationError("Authentication failed: Invalid user credentials");
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.cred.salt.toString("base64")},i=${this.cred.iterations}`;
    this.state = "final";
    return Buffer.from(this.serverFirst, "utf8");
  }

  private final(msg: string): Buffer {
    const pIdx = msg.lastIndexOf(",p=");
    if (pIdx < 0) throw new AuthenticationError("Invalid SCRAM client final message: no proof");
    const withoutProof = msg.slice(0, pIdx);
    const a = attrs(withoutProof);
    if (a[0]?.[0] !== "c" || a[1]?.[0] !== "r") throw new AuthenticationError("Invalid SCRAM client final message");
    if (Buffer.from(a[0][1], "base64").toString("utf8") !== this.gs2)
      throw new AuthenticationError("Invalid SCRAM client final message: channel binding does not match");
    // Kafka accepts a final nonce that ends with the server's (librdkafka sends the client nonce + the combined one)
    if (!a[1][1].endsWith(this.nonce))
      throw new AuthenticationError("Invalid SCRAM client final message: nonce mismatch");
    const proof = Buffer.from(msg.slice(pIdx + 3), "base64");
    const cred = this.cred!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, cred.storedKey, authMessage);
    if (proof.length !== clientSignature.length)
      throw new AuthenticationError("Authentication failed: Invalid client credentials");
    const clientKey = xor(proof, clientSignature);
    if (!timingSafeEqual(h(this.mechanism, clientKey), cred.storedKey))
      throw new AuthenticationError("Authentication failed: Invalid client credentials");
    this.state = "complete";
    return Buffer.from(`v=${hmac(this.mechanism, cred.serverKey, authMessage).toString("base64")}`, "utf8");
  }

  isComplete(): boolean {
    return this.state === "complete";
  }

  authorizationId(): string {
    if (this.state !== "complete") throw new AuthenticationError("Authentication exchange has not completed");
    return this.user;
  }

  sessionLifetimeMs(): number {
    return 0;
  }
}

export class ScramSaslClient implements SaslClient {
  private state: "initial" | "first" | "final" | "complete" = "initial";
  private clientFirstBare = "";
  private serverSignature: Buffer | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
    private readonly extensions: Record<string, string> = {},
    private readonly clientNonce: string = randomBytes(24).toString("base64").replace(/,/g, "-"),
  ) {}

  initialResponse(): Buffer {
    const ext = Object.entries(this.extensions).map(([k, v]) => `,${k}=${v}`);
    this.clientFirstBare = `n=${encodeSaslName(this.username)},r=${this.clientNonce}${ext.join("")}`;
    this.state = "first";
    return Buffer.from(`n,,${this.clientFirstBare}`, "utf8");
  }

  evaluateChallenge(token: Buffer): Buffer | null {
    const msg = token.toString("utf8");
    if (this.state === "first") {
      if (msg.startsWith("e=")) throw new AuthenticationError(`SCRAM server error: ${msg.slice(2)}`);
      const a = new Map(attrs(msg));
      const nonce = a.get("r");
      const salt = a.get("s");
      const iterations = Number(a.get("i"));
      if (!nonce || !salt || !nonce.startsWith(this.clientNonce))
        throw new AuthenticationError("Invalid SCRAM server first message");
      if (!(iterations >= SCRAM_MIN_ITERATIONS))
        throw new AuthenticationError(
          `Requested iterations ${iterations} is less than the minimum ${SCRAM_MIN_ITERATIONS}`,
        );
      const withoutProof = `c=${Buffer.from("n,,").toString("base64")},r=${nonce}`;
      const authMessage = `${this.clientFirstBare},${msg},${withoutProof}`;
      const sp = saltedPassword(this.mechanism, this.password, Buffer.from(salt, "base64"), iterations);
      const clientKey = hmac(this.mechanism, sp, "Client Key");
      const proof = xor(clientKey, hmac(this.mechanism, h(this.mechanism, clientKey), authMessage));
      this.serverSignature = hmac(this.mechanism, hmac(this.mechanism, sp, "Server Key"), authMessage);
      this.state = "final";
      return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`, "utf8");
    }
    if (this.state === "final") {
      if (msg.startsWith("e=")) throw new AuthenticationError(`SCRAM server error: ${msg.slice(2)}`);
      const v = msg.startsWith("v=") ? Buffer.from(msg.slice(2), "base64") : Buffer.alloc(0);
      if (v.length !== this.serverSignature!.length || !timingSafeEqual(v, this.serverSignature!))
        throw new AuthenticationError("Invalid SCRAM server signature");
      this.state = "complete";
      return null;
    }
    throw new AuthenticationError(`Unexpected SCRAM challenge in state ${this.state}`);
  }

  isComplete(): boolean {
    return this.state === "complete";
  }
}
