/**
 * Errors of the security area. Configuration mistakes raise ConfigError-style
 * codes (MR_SECURITY_CONFIG); a failed authentication raises
 * AuthenticationError, whose message is what the client is told (never a secret).
 */
import { MillraceError } from "../errors.js";

export class SecurityError extends MillraceError {}

/** SASL/TLS authentication failed; `message` is safe to send to the client. */
export class AuthenticationError extends SecurityError {
  constructor(message: string) {
    super("MR_SECURITY_AUTH_FAILED", message);
  }
}

export function configError(key: string, message: string): SecurityError {
  return new SecurityError("MR_SECURITY_CONFIG", `${key}: ${message}`);
}
