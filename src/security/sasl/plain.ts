/**
 * SASL/PLAIN (RFC 4616) as Kafka does it: message = [authzid] NUL authcid NUL
 * passwd; users and passwords from the listener's JAAS config
 * (PlainLoginModule user_<name>="<password>"). Comparisons are constant-time.
 */
import { AuthenticationError, configError } from "../errors.js";
import { parseSingleJaasModule } from "../jaas.js";
import { safeEqual, type SaslClient, type SaslServer } from "./types.js";

export const PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";

/** The user_<name> entries of a PlainLoginModule JAAS config. */
export function plainUsersFromJaas(jaas: string, key = "sasl.jaas.config"): Map<string, string> {
  const m = parseSingleJaasModule(jaas, key);
  if (m.loginModule !== PLAIN_LOGIN_MODULE)
    throw configError(key, `PLAIN needs ${PLAIN_LOGIN_MODULE}, not ${m.loginModule}`);
  const users = new Map<string, string>();
  for (const [k, v] of Object.entries(m.options)) if (k.startsWith("user_")) users.set(k.slice(5), v);
  return users;
}

const INVALID = "Authentication failed: Invalid username or password";

export class PlainSaslServer implements SaslServer {
  readonly mechanism = "PLAIN";
  private user: string | null = null;
  constructor(private readonly users: Map<string, string>) {}

  async evaluateResponse(token: Buffer): Promise<Buffer> {
    if (this.user !== null) throw new AuthenticationError("Authentication failed: PLAIN is already complete");
    const parts = token.toString("utf8").split("\u0000");
    if (parts.length !== 3) throw new AuthenticationError("Invalid SASL/PLAIN response: expected 3 tokens");
    const [authzid, username, password] = parts;
    if (username === "") throw new AuthenticationError("Authentication failed: username not specified");
    if (password === "") throw new AuthenticationError("Authentication failed: password not specified");
    const expected = this.users.get(username);
    // compare against something even for an unknown user so timing does not reveal which users exist
    const ok = safeEqual(password, expected ?? "\u0000unknown-user") && expected !== undefined;
    if (!ok) throw new AuthenticationError(INVALID);
    if (authzid !== "" && authzid !== username)
      throw new AuthenticationError(
        "Authentication failed: Client requested an authorization id that is different from username",
      );
    this.user = username;
    return Buffer.alloc(0);
  }

  isComplete(): boolean {
    return this.user !== null;
  }

  authorizationId(): string {
    if (this.user === null) throw new AuthenticationError("Authentication exchange has not completed");
    return this.user;
  }

  sessionLifetimeMs(): number {
    return 0;
  }
}

export class PlainSaslClient implements SaslClient {
  readonly mechanism = "PLAIN";
  private done = false;
  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}
  initialResponse(): Buffer {
    return Buffer.from(`\u0000${this.username}\u0000${this.password}`, "utf8");
  }
  evaluateChallenge(): Buffer | null {
    this.done = true;
    return null;
  }
  isComplete(): boolean {
    return this.done;
  }
}
