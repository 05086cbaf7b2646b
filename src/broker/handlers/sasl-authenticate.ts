/**
 * SaslAuthenticate v0-2 (one SASL token each way per request), and the raw
 * token exchange that follows a v0 SaslHandshake. A failed exchange is
 * answered with SASL_AUTHENTICATION_FAILED and Kafka's message after
 * connection.failed.authentication.delay.ms, then the connection closes.
 * Secrets are never logged. sessionLifetimeMs is 0: no re-authentication (KIP-368) yet.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import { AuthenticationError } from "../../security/errors.js";
import type { Connection } from "../connection.js";
import type { SaslAuthenticateRequestData, SaslAuthenticateResponseData } from "../../protocol/messages/index.js";
import type { ApiHandler } from "./types.js";

const EMPTY = Buffer.alloc(0);

/** Runs one SASL step; returns the server token, or the failure message (the session is then failed). */
async function step(connection: Connection, token: Buffer): Promise<{ token: Buffer } | { error: string }> {
  const session = connection.session;
  const log = connection.broker.logger;
  try {
    const out = await session.server!.evaluateResponse(token);
    if (session.server!.isComplete()) {
      session.complete();
      log.info(
        {
          client: connection.remote,
          principal: session.principal.toString(),
          mechanism: session.mechanism,
          listener: connection.listener,
        },
        "authenticated",
      );
    }
    return { token: out };
  } catch (e) {
    session.state = "failed";
    const error = e instanceof AuthenticationError ? e.message : "Authentication failed";
    if (!(e instanceof AuthenticationError)) log.error({ err: e, client: connection.remote }, "SASL mechanism failed");
    log.warn(
      { client: connection.remote, mechanism: session.mechanism, listener: connection.listener, reason: error },
      "failed authentication",
    );
    await sleep(connection.broker.config.connectionFailedAuthenticationDelayMs);
    connection.endAfterFlush();
    return { error };
  }
}

export const saslAuthenticate: ApiHandler<SaslAuthenticateRequestData, SaslAuthenticateResponseData> = {
  key: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  handle: async (ctx, req) => {
    const session = ctx.connection.session;
    if (session.state !== "authenticate")
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: session.authenticated
          ? "SaslAuthenticate request received after successful authentication"
          : "Unexpected SaslAuthenticate request",
        authBytes: EMPTY,
        sessionLifetimeMs: 0n,
      };
    const r = await step(ctx.connection, req.authBytes);
    if ("error" in r)
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: r.error,
        authBytes: EMPTY,
        sessionLifetimeMs: 0n,
      };
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: r.token, sessionLifetimeMs: 0n };
  },
};

/** A raw SASL token after a v0 SaslHandshake: answered with a size-prefixed raw token, or the connection closes. */
export function rawSaslToken(connection: Connection, frame: Buffer): void {
  connection.reply(
    step(connection, Buffer.from(frame)).then((r) => {
      if ("error" in r) return null;
      const size = Buffer.alloc(4);
      size.writeInt32BE(r.token.length);
      return [size, r.token];
    }),
  );
}
