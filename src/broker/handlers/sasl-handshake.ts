/**
 * SaslHandshake v0-1: picks the mechanism for this connection. v1 is followed
 * by SaslAuthenticate requests, v0 by raw (unframed) SASL tokens as old Java
 * clients and librdkafka without KIP-152 send them. On a listener without
 * SASL, or once authenticated, the answer is ILLEGAL_SASL_STATE (as Kafka);
 * an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM and the connection closes.
 */
import { ApiKey } from "../../protocol/apis.js";
import { ErrorCode } from "../../protocol/errors.js";
import type { SaslHandshakeRequestData, SaslHandshakeResponseData } from "../../protocol/messages/index.js";
import type { ApiHandler } from "./types.js";

export const saslHandshake: ApiHandler<SaslHandshakeRequestData, SaslHandshakeResponseData> = {
  key: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle: (ctx, req) => {
    const session = ctx.connection.session;
    const mechanisms = session.security.mechanisms;
    if (!session.security.sasl || session.state !== "handshake")
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    const mechanism = req.mechanism;
    const server = session.security.saslServer(mechanism);
    if (!server) {
      ctx.connection.endAfterFlush();
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    session.server = server;
    session.mechanism = mechanism;
    session.state = ctx.apiVersion === 0 ? "raw" : "authenticate";
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
};
