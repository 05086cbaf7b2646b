/**
 * What each listener requires of a connection: its security protocol's TLS
 * settings, SASL mechanisms and their users, read from the broker's ssl.* /
 * sasl.* keys and their listener.name.<listener>.[<mechanism>.]<key> overrides
 * (Kafka's precedence); and the per-connection session that gates requests
 * until authentication completes.
 */
import type { TLSSocket } from "node:tls";
import { ApiKey } from "../protocol/apis.js";
import { configError } from "../security/errors.js";
import { KafkaPrincipal, SslPrincipalMapper, subjectDistinguishedName } from "../security/principal.js";
import { OAuthBearerSaslServer, OAuthBearerValidator } from "../security/sasl/oauthbearer.js";
import { PlainSaslServer, plainUsersFromJaas } from "../security/sasl/plain.js";
import { ScramSaslServer, isScramMechanism } from "../security/sasl/scram.js";
import type { SaslServer } from "../security/sasl/types.js";
import type { ScramCredentialStore } from "../security/stores.js";
import { tlsSettings, type TlsSettings } from "../security/tls.js";
import type { BrokerConfig, Listener } from "./config.js";

export const SUPPORTED_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

export class ListenerSecurity {
  readonly sasl: boolean;
  readonly ssl: boolean;
  tls: TlsSettings | null = null;
  readonly mechanisms: string[] = [];
  readonly principalMapper: SslPrincipalMapper;
  private plainUsers: Map<string, string> | null = null;
  private oauth: OAuthBearerValidator | null = null;

  constructor(
    readonly listener: Listener,
    private readonly config: BrokerConfig,
    private readonly scram: ScramCredentialStore,
  ) {
    const p = listener.securityProtocol;
    this.ssl = p === "SSL" || p === "SASL_SSL";
    this.sasl = p === "SASL_PLAINTEXT" || p === "SASL_SSL";
    if (this.ssl) this.tls = this.buildTls();
    this.principalMapper = SslPrincipalMapper.fromRules(this.get("ssl.principal.mapping.rules"));
    if (this.sasl) this.setUpSasl();
  }

  /** A setting for this listener: listener.name.<l>.<mech>.<key>, then listener.name.<l>.<key>, then <key>. */
  get(key: string, mechanism?: string): string | undefined {
    const l = this.listener.name.toLowerCase();
    const names = [
      ...(mechanism ? [`listener.name.${l}.${mechanism.toLowerCase()}.${key}`] : []),
      `listener.name.${l}.${key}`,
      key,
    ];
    for (const n of names) {
      const e = this.config.security.get(n);
      if (e) return e.value.trim();
    }
    return key === "sasl.enabled.mechanisms" ? "GSSAPI" : undefined;
  }

  /** The key under which a setting was found (for error messages). */
  private where(key: string, mechanism?: string): string {
    const l = this.listener.name.toLowerCase();
    const names = [
      ...(mechanism ? [`listener.name.${l}.${mechanism.toLowerCase()}.${key}`] : []),
      `listener.name.${l}.${key}`,
    ];
    return names.find((n) => this.config.security.has(n)) ?? names[0];
  }

  buildTls(): TlsSettings {
    try {
      return tlsSettings((k) => this.get(k), "server");
    } catch (e) {
      throw configError(`listener ${this.listener.name}`, (e as Error).message);
    }
  }

  private setUpSasl(): void {
    const list = (this.get("sasl.enabled.mechanisms") ?? "")
      .split(",")
      .map((s) => s.trim().toUpperCase())
      .filter((s) => s);
    for (const m of list) {
      if (!SUPPORTED_MECHANISMS.includes(m))
        throw configError(
          this.where("sasl.enabled.mechanisms"),
          `${m} is not supported (${m === "GSSAPI" ? "no Kerberos; " : ""}use ${SUPPORTED_MECHANISMS.join(", ")})`,
        );
      this.mechanisms.push(m);
    }
    if (this.mechanisms.length === 0)
      throw configError(this.where("sasl.enabled.mechanisms"), "no SASL mechanism enabled");
    if (this.mechanisms.includes("PLAIN")) {
      const jaas = this.get("sasl.jaas.config", "PLAIN");
      if (!jaas)
        throw configError(
          this.where("sasl.jaas.config", "PLAIN"),
          "PLAIN needs a PlainLoginModule with user_<name> entries",
        );
      this.plainUsers = plainUsersFromJaas(jaas, this.where("sasl.jaas.config", "PLAIN"));
    }
    if (this.mechanisms.includes("OAUTHBEARER")) {
      const url = this.get("sasl.oauthbearer.jwks.endpoint.url", "OAUTHBEARER");
      if (!url)
        throw configError(
          this.where("sasl.oauthbearer.jwks.endpoint.url", "OAUTHBEARER"),
          "OAUTHBEARER needs a JWKS to validate tokens",
        );
      const list = (k: string) =>
        this.get(k, "OAUTHBEARER")
          ?.split(",")
          .map((s) => s.trim())
          .filter((s) => s);
      this.oauth = new OAuthBearerValidator({
        jwksEndpointUrl: url,
        expectedAudience: list("sasl.oauthbearer.expected.audience"),
        expectedIssuer: this.get("sasl.oauthbearer.expected.issuer", "OAUTHBEARER"),
        clockSkewSeconds: Number(this.get("sasl.oauthbearer.clock.skew.seconds", "OAUTHBEARER") ?? 30),
        subClaimName: this.get("sasl.oauthbearer.sub.claim.name", "OAUTHBEARER"),
      });
    }
  }

  /** A server for one exchange of an enabled mechanism, or null. */
  saslServer(mechanism: string): SaslServer | null {
    if (!this.mechanisms.includes(mechanism)) return null;
    if (mechanism === "PLAIN") return new PlainSaslServer(this.plainUsers!);
    if (isScramMechanism(mechanism)) return new ScramSaslServer(mechanism, (m, u) => this.scram.get(m, u));
    if (mechanism === "OAUTHBEARER") return new OAuthBearerSaslServer(this.oauth!);
    return null;
  }

  /** The principal of a new connection before SASL: from the client certificate on SSL, else ANONYMOUS. */
  transportPrincipal(socket: TLSSocket | null): KafkaPrincipal {
    if (!socket || this.sasl) return KafkaPrincipal.ANONYMOUS;
    const cert = socket.getPeerX509Certificate?.();
    if (!cert || !socket.authorized) return KafkaPrincipal.ANONYMOUS;
    return KafkaPrincipal.user(this.principalMapper.getName(subjectDistinguishedName(cert)));
  }
}

/** Before authentication only these are served on a SASL listener. */
const PRE_AUTH = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export type SaslState = "handshake" | "authenticate" | "raw" | "complete" | "failed";

/** One connection's authentication state. */
export class ConnectionSession {
  principal: KafkaPrincipal;
  state: SaslState;
  server: SaslServer | null = null;
  /** set once a SaslHandshake succeeded */
  mechanism: string | null = null;

  constructor(
    readonly security: ListenerSecurity,
    principal: KafkaPrincipal,
  ) {
    this.principal = principal;
    this.state = security.sasl ? "handshake" : "complete";
  }

  get authenticated(): boolean {
    return this.state === "complete";
  }

  /** Largest frame accepted now: sasl.server.max.receive.size until a SASL listener's client is authenticated. */
  maxReceiveSize(socketRequestMaxBytes: number, saslServerMaxReceiveSize: number): number {
    return this.authenticated ? socketRequestMaxBytes : Math.min(socketRequestMaxBytes, saslServerMaxReceiveSize);
  }

  /** Why a request may not be served now (the connection is then closed), or null. */
  refusal(apiKey: number): string | null {
    if (this.authenticated) return null;
    if (this.state === "failed") return "authentication failed";
    if (!PRE_AUTH.has(apiKey))
      return `request (API key ${apiKey}) before SASL authentication on listener ${this.security.listener.name}`;
    if (apiKey === ApiKey.SaslAuthenticate && this.state !== "authenticate")
      return "SaslAuthenticate before a successful SaslHandshake";
    if (apiKey === ApiKey.SaslHandshake && this.state !== "handshake") return "a second SaslHandshake";
    return null;
  }

  /** Completes authentication with the SASL server's principal. */
  complete(): void {
    this.principal = KafkaPrincipal.user(this.server!.authorizationId());
    this.state = "complete";
    this.server = null;
  }
}
