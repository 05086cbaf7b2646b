/** Small helpers the agent configuration parser shares. */
import { createHash } from "node:crypto";
import { ConfigError } from "../../errors.js";
import type { PropertyEntry } from "../../formats/properties.js";
import type { Context } from "../api.js";

export function where(e: PropertyEntry): string {
  return e.line > 0 ? `${e.file}:${e.line}: ` : "";
}

export function configError(e: PropertyEntry | undefined, key: string, message: string): ConfigError {
  return new ConfigError("MR_CONFIG_INVALID", `${e ? where(e) : ""}${key} ${message}`);
}

export function substitute(
  value: string,
  o: { sysprops?: Record<string, string>; env?: Record<string, string | undefined> },
): string {
  if (!value.includes("${")) return value;
  return value.replace(/\$\{([^}]+)\}/g, (m, name: string) => o.sysprops?.[name] ?? (o.env ?? process.env)[name] ?? m);
}

export function digest(parts: unknown): string {
  return createHash("sha1").update(JSON.stringify(parts)).digest("hex");
}

export function ctxDigest(ctx: Context): [string, string][] {
  return ctx
    .keys()
    .sort()
    .map((k) => [k, ctx.entry(k)!.value]);
}

export function words(v: string): string[] {
  return v.split(/\s+/).filter(Boolean);
}
