/**
 * Principals as Kafka names them ("User:alice"), and the mapping from a TLS
 * client certificate's distinguished name to a user name with
 * `ssl.principal.mapping.rules` (Kafka's SslPrincipalMapper semantics).
 */
import { X509Certificate } from "node:crypto";
import { AuthenticationError, configError } from "./errors.js";

export class KafkaPrincipal {
  static readonly ANONYMOUS = new KafkaPrincipal("User", "ANONYMOUS");
  constructor(
    readonly principalType: string,
    readonly name: string,
  ) {}

  /** Parses "Type:name" (the name may contain ':'). */
  static parse(s: string): KafkaPrincipal {
    const i = s.indexOf(":");
    if (i <= 0 || i === s.length - 1)
      throw configError("principal", `${JSON.stringify(s)} is not Type:name (e.g. User:alice)`);
    return new KafkaPrincipal(s.slice(0, i), s.slice(i + 1));
  }

  static user(name: string): KafkaPrincipal {
    return new KafkaPrincipal("User", name);
  }

  toString(): string {
    return `${this.principalType}:${this.name}`;
  }

  equals(o: KafkaPrincipal): boolean {
    return o.principalType === this.principalType && o.name === this.name;
  }
}

interface Rule {
  isDefault: boolean;
  pattern?: RegExp;
  replacement?: string;
  toLowerCase?: boolean;
  toUpperCase?: boolean;
  text: string;
}

// One rule: DEFAULT, or RULE:pattern/replacement/[LU] where '/' and '\' may be escaped with '\'.
const RULE = /^\s*(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?))\s*(?:,|$)/;

/** Kafka's ssl.principal.mapping.rules: the first rule that matches the whole DN gives the name. */
export class SslPrincipalMapper {
  private constructor(private readonly rules: Rule[]) {}

  static fromRules(spec: string | undefined | null): SslPrincipalMapper {
    const text = (spec ?? "DEFAULT").trim();
    if (text === "") return new SslPrincipalMapper([{ isDefault: true, text: "DEFAULT" }]);
    const rules: Rule[] = [];
    let rest = text;
    while (rest.trim().length > 0) {
      const m = RULE.exec(rest);
      if (!m) throw configError("ssl.principal.mapping.rules", `Invalid rule: ${rest.trim().split(",")[0]}`);
      const ruleText = m[0].replace(/,\s*$/, "").trim();
      if (m[1]) rules.push({ isDefault: true, text: ruleText });
      else {
        let pattern: RegExp;
        try {
          pattern = new RegExp(`^(?:${m[2]})$`);
        } catch (e) {
          throw configError("ssl.principal.mapping.rules", `Invalid rule: ${ruleText}: ${(e as Error).message}`);
        }
        rules.push({
          isDefault: false,
          pattern,
          replacement: m[3].replace(/\\\//g, "/"),
          toLowerCase: m[4] === "L",
          toUpperCase: m[4] === "U",
          text: ruleText,
        });
      }
      rest = rest.slice(m[0].length);
      if (m[0].trimEnd().endsWith(",") && rest.trim() === "")
        throw configError("ssl.principal.mapping.rules", `Invalid rule: a trailing ',' in ${JSON.stringify(text)}`);
    }
    return new SslPrincipalMapper(rules);
  }

  /** The user name for a distinguished name (RFC 2253 form); throws when no rule applies. */
  getName(distinguishedName: string): string {
    for (const r of this.rules) {
      if (r.isDefault) return distinguishedName;
      if (!r.pattern!.test(distinguishedName)) continue;
      let out = distinguishedName.replace(r.pattern!, r.replacement!);
      if (r.toLowerCase) out = out.toLowerCase();
      else if (r.toUpperCase) out = out.toUpperCase();
      return out;
    }
    throw new AuthenticationError(
      `No rules apply to ${distinguishedName}, rules [${this.rules.map((r) => r.text).join(", ")}]`,
    );
  }
}

/**
 * A certificate's subject in RFC 2253 order (most specific first, comma
 * separated), as Java's X500Principal.getName() prints it: "CN=alice,O=acme,C=US".
 */
export function subjectDistinguishedName(cert: X509Certificate | Buffer): string {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return x.subject
    .split("\n")
    .filter((l) => l.length > 0)
    .reverse()
    .map((l) => {
      const i = l.indexOf("=");
      return `${l.slice(0, i)}=${l.slice(i + 1).replace(/([,+"\\<>;])/g, "\\$1")}`;
    })
    .join(",");
}
