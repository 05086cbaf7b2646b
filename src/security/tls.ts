/**
 * TLS contexts from Kafka's ssl.* keys: keystores (PEM per KIP-651, from a file
 * or inline, optionally encrypted with ssl.key.password; PKCS12), truststores
 * (PEM file or inline; PKCS12), ssl.client.auth, ssl.protocol /
 * ssl.enabled.protocols and ssl.cipher.suites with Java's suite names. JKS is
 * refused with the keytool command that converts it.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from "node:fs";
import { getCiphers, type SecureContextOptions, type SecureVersion } from "node:tls";
import { configError } from "./errors.js";

/** Reads one ssl.* setting (already resolved for the listener); undefined when unset. */
export type SslGetter = (key: string) => string | undefined;

export type SslClientAuth = "none" | "requested" | "required";

export interface TlsSettings {
  /** options for tls.createServer / tls.connect / setSecureContext */
  context: SecureContextOptions;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  clientAuth: SslClientAuth;
  /** files the context was read from (watched for reloads) */
  files: string[];
}

const PROTOCOLS: SecureVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

function pemBlocks(pem: string): { type: string; text: string }[] {
  const out: { type: string; text: string }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push({ type: m[1], text: `${m[0]}\n` });
  return out;
}

function readFile(key: string, path: string, files: string[]): Buffer {
  try {
    const b = readFileSync(path);
    files.push(path);
    return b;
  } catch (e) {
    throw configError(key, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function refuseJks(typeKey: string, location: string | undefined): never {
  const src = location ?? "X.jks";
  const dest = src.replace(/\.jks$/i, "") + ".p12";
  throw configError(
    typeKey,
    `JKS stores are not supported (Node's TLS reads PEM and PKCS12); convert it with ` +
      `keytool -importkeystore -srckeystore ${src} -destkeystore ${dest} -deststoretype PKCS12 ` +
      `and set ${typeKey}=PKCS12`,
  );
}

function storeType(get: SslGetter, key: string, location: string | undefined): "PEM" | "PKCS12" {
  const t = (get(key) ?? (location && /\.pem$|\.crt$/i.test(location) ? "PEM" : "JKS")).toUpperCase();
  if (t === "JKS") {
    // Kafka's default type is JKS; only refuse it when a store is actually configured
    if (location) refuseJks(key, location);
    return "PEM";
  }
  if (t !== "PEM" && t !== "PKCS12") throw configError(key, `${JSON.stringify(t)} is not PEM, PKCS12 (or JKS)`);
  return t;
}

function keystore(get: SslGetter, ctx: SecureContextOptions, files: string[]): void {
  const location = get("ssl.keystore.location");
  const inlineKey = get("ssl.keystore.key");
  const inlineChain = get("ssl.keystore.certificate.chain");
  if (!location && !inlineKey && !inlineChain) return;
  const type = storeType(get, "ssl.keystore.type", location);
  const keyPassword = get("ssl.key.password");
  if (type === "PKCS12") {
    if (!location) throw configError("ssl.keystore.location", "a PKCS12 keystore needs ssl.keystore.location");
    ctx.pfx = readFile("ssl.keystore.location", location, files);
    ctx.passphrase = get("ssl.keystore.password") ?? keyPassword;
    return;
  }
  if (location && (inlineKey || inlineChain))
    throw configError(
      "ssl.keystore.location",
      "set either ssl.keystore.location or ssl.keystore.key/certificate.chain, not both",
    );
  let blocks: { type: string; text: string }[];
  if (location) blocks = pemBlocks(readFile("ssl.keystore.location", location, files).toString("utf8"));
  else {
    if (!inlineKey || !inlineChain)
      throw configError(
        inlineKey ? "ssl.keystore.certificate.chain" : "ssl.keystore.key",
        "PEM keystores set inline need both ssl.keystore.key and ssl.keystore.certificate.chain",
      );
    blocks = [...pemBlocks(inlineKey), ...pemBlocks(inlineChain)];
  }
  const where = location ? "ssl.keystore.location" : "ssl.keystore.key";
  const keys = blocks.filter((b) => b.type.endsWith("PRIVATE KEY"));
  const certs = blocks.filter((b) => b.type === "CERTIFICATE");
  if (keys.length !== 1) throw configError(where, `a PEM keystore needs exactly one private key, found ${keys.length}`);
  if (certs.length === 0) throw configError(where, "a PEM keystore needs the certificate chain");
  if (keys[0].type === "ENCRYPTED PRIVATE KEY" && !keyPassword)
    throw configError("ssl.key.password", "the keystore's private key is encrypted; set ssl.key.password");
  ctx.key = keyPassword ? [{ pem: keys[0].text, passphrase: keyPassword }] : keys[0].text;
  ctx.cert = certs.map((c) => c.text).join("");
}

function truststore(get: SslGetter, ctx: SecureContextOptions, files: string[]): void {
  const location = get("ssl.truststore.location");
  const inline = get("ssl.truststore.certificates");
  if (!location && !inline) return;
  const type = storeType(get, "ssl.truststore.type", location);
  if (location && inline)
    throw configError(
      "ssl.truststore.location",
      "set either ssl.truststore.location or ssl.truststore.certificates, not both",
    );
  if (type === "PKCS12") {
    throw configError(
      "ssl.truststore.type",
      `PKCS12 truststores are not read yet; export the certificates with ` +
        `openssl pkcs12 -in ${location ?? "X.p12"} -nokeys -out truststore.pem and set ssl.truststore.type=PEM`,
    );
  }
  const pem = location ? readFile("ssl.truststore.location", location, files).toString("utf8") : inline!;
  const certs = pemBlocks(pem).filter((b) => b.type === "CERTIFICATE");
  if (certs.length === 0)
    throw configError(
      location ? "ssl.truststore.location" : "ssl.truststore.certificates",
      "no CERTIFICATE in the truststore",
    );
  ctx.ca = certs.map((c) => c.text);
}

function protocols(get: SslGetter): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const enabled = (get("ssl.enabled.protocols") ?? "TLSv1.2,TLSv1.3")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const p of enabled)
    if (!PROTOCOLS.includes(p as SecureVersion))
      throw configError("ssl.enabled.protocols", `${JSON.stringify(p)} is not one of ${PROTOCOLS.join(", ")}`);
  const protocol = get("ssl.protocol") ?? "TLSv1.3";
  if (protocol !== "TLS" && !PROTOCOLS.includes(protocol as SecureVersion))
    throw configError("ssl.protocol", `${JSON.stringify(protocol)} is not TLS or one of ${PROTOCOLS.join(", ")}`);
  if (enabled.length === 0) throw configError("ssl.enabled.protocols", "no protocol enabled");
  const idx = enabled.map((p) => PROTOCOLS.indexOf(p as SecureVersion)).sort();
  return { minVersion: PROTOCOLS[idx[0]], maxVersion: PROTOCOLS[idx[idx.length - 1]] };
}

/** A TLS 1.2 (or older) Java cipher suite name: key exchange, authentication, bulk cipher, mode, MAC. */
const JAVA_CIPHER = new RegExp(
  [
    "^(?:TLS|SSL)_(?:(ECDHE|DHE)_(RSA|ECDSA)|RSA)_WITH_",
    "(AES_128|AES_256|CHACHA20_POLY1305)(?:_(GCM|CBC))?(?:_(SHA|SHA256|SHA384))?$",
  ].join(""),
);

/** A Java (IANA) cipher suite name as OpenSSL names it; TLS 1.3 suites keep their names. */
export function opensslCipherName(java: string): string | null {
  if (/^TLS_(AES|CHACHA20)_/.test(java)) return java;
  const m = JAVA_CIPHER.exec(java);
  if (!m) return null;
  const [, kx, auth, bulk, mode, mac] = m;
  const prefix = kx ? (kx === "ECDHE" ? `ECDHE-${auth}-` : `DHE-${auth}-`) : "";
  if (bulk === "CHACHA20_POLY1305") return `${prefix}CHACHA20-POLY1305`;
  const bits = bulk === "AES_128" ? "AES128" : "AES256";
  if (mode === "GCM") return `${prefix}${bits}-GCM-${mac}`;
  if (mac === "SHA") return `${prefix}${bits}-SHA`;
  return `${prefix}${bits}-${mac}`;
}

function ciphers(get: SslGetter): string | undefined {
  const list = (get("ssl.cipher.suites") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) return undefined;
  const known = new Set(getCiphers().map((c) => c.toUpperCase()));
  return list
    .map((j) => {
      const o = opensslCipherName(j);
      if (!o || !known.has(o.toUpperCase()))
        throw configError(
          "ssl.cipher.suites",
          `${j} is not a cipher suite Node's OpenSSL provides${o ? ` (as ${o})` : ""}`,
        );
      return o;
    })
    .join(":");
}

/** Builds the TLS settings for one side (a listener, or a client) from its ssl.* keys. */
export function tlsSettings(get: SslGetter, side: "server" | "client"): TlsSettings {
  const files: string[] = [];
  const context: SecureContextOptions = {};
  keystore(get, context, files);
  truststore(get, context, files);
  if (side === "server" && !context.key && !context.pfx)
    throw configError(
      "ssl.keystore.location",
      "a TLS listener needs a keystore (ssl.keystore.location or ssl.keystore.key)",
    );
  const clientAuth = (get("ssl.client.auth") ?? "none").toLowerCase();
  if (clientAuth !== "none" && clientAuth !== "requested" && clientAuth !== "required")
    throw configError("ssl.client.auth", `${JSON.stringify(clientAuth)} is not none, requested or required`);
  const { minVersion, maxVersion } = protocols(get);
  context.minVersion = minVersion;
  context.maxVersion = maxVersion;
  const c = ciphers(get);
  if (c) context.ciphers = c;
  return { context, minVersion, maxVersion, clientAuth, files };
}

/**
 * Watches the files a TLS context was read from and rebuilds it when one
 * changes (a renewed certificate); `onReload` receives the new settings (a
 * server passes them to setSecureContext), `onError` a rebuild that failed (the
 * old context stays). Returns a function that stops watching.
 */
export function watchTlsFiles(
  settings: TlsSettings,
  rebuild: () => TlsSettings,
  onReload: (s: TlsSettings) => void,
  onError: (e: Error) => void,
  intervalMs = 5000,
): () => void {
  const files = [...new Set(settings.files)];
  const listener = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
    try {
      onReload(rebuild());
    } catch (e) {
      onError(e as Error);
    }
  };
  for (const f of files) watchFile(f, { interval: intervalMs, persistent: false }, listener);
  return () => {
    for (const f of files) unwatchFile(f, listener);
  };
}
