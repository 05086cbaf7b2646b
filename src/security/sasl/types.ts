import { createHash, timingSafeEqual } from "node:crypto";

/** The SASL mechanism interfaces both sides implement (as javax.security.sasl names them). */
export interface SaslServer {
  readonly mechanism: string;
  /** Processes one client token and returns the server's next token; throws AuthenticationError on failure. */
  evaluateResponse(token: Buffer): Promise<Buffer>;
  isComplete(): boolean;
  /** The authenticated user name (valid once complete). */
  authorizationId(): string;
  /** Milliseconds until the credential expires (OAUTHBEARER), or 0 when it does not. */
  sessionLifetimeMs(): number;
}

export interface SaslClient {
  readonly mechanism: string;
  /** The first token the client sends. */
  initialResponse(): Buffer;
  /** Processes a server token; returns the next client token, or null when nothing more is sent. */
  evaluateChallenge(token: Buffer): Buffer | null;
  isComplete(): boolean;
}

/** Constant-time equality for secrets of any length (compares fixed-length digests). */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
