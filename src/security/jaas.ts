/**
 * A parser for the JAAS configuration strings Kafka takes in `sasl.jaas.config`:
 *   org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="s3cret";
 * One or more login modules, each `Class flag key=value ... ;`, values optionally quoted.
 */
import { configError } from "./errors.js";

export type JaasFlag = "required" | "requisite" | "sufficient" | "optional";

export interface JaasLoginModule {
  loginModule: string;
  flag: JaasFlag;
  options: Record<string, string>;
}

const FLAGS = new Set(["required", "requisite", "sufficient", "optional"]);

function tokenize(text: string, key: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "=" || c === ";") {
      out.push(c);
      i++;
    } else if (c === '"' || c === "'") {
      let s = "";
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        s += text[i++];
      }
      if (i >= text.length) throw configError(key, "an unterminated quoted value");
      i++;
      out.push(`"${s}`); // quoted marker: leading '"'
    } else {
      let s = "";
      while (i < text.length && !/[\s=;"']/.test(text[i])) s += text[i++];
      out.push(s);
    }
  }
  return out;
}

/** Parses a sasl.jaas.config value; `key` names the setting in errors (values are never echoed). */
export function parseJaasConfig(text: string, key = "sasl.jaas.config"): JaasLoginModule[] {
  const toks = tokenize(text, key);
  const modules: JaasLoginModule[] = [];
  let i = 0;
  const word = (t: string | undefined): string | undefined =>
    t === undefined || t.startsWith('"') || t === "=" || t === ";" ? undefined : t;
  while (i < toks.length) {
    const loginModule = word(toks[i++]);
    if (!loginModule) throw configError(key, "expected a login module class name");
    const flag = word(toks[i++]);
    if (!flag || !FLAGS.has(flag.toLowerCase()))
      throw configError(
        key,
        `login module ${loginModule} needs a control flag (required, requisite, sufficient or optional)`,
      );
    const options: Record<string, string> = {};
    for (;;) {
      const t = toks[i++];
      if (t === undefined) throw configError(key, `login module ${loginModule}: the entry must end with ';'`);
      if (t === ";") break;
      const name = word(t);
      if (!name || toks[i++] !== "=") throw configError(key, `login module ${loginModule}: expected key=value`);
      const v = toks[i++];
      if (v === undefined || v === "=" || v === ";")
        throw configError(key, `login module ${loginModule}: option ${name} has no value`);
      options[name] = v.startsWith('"') ? v.slice(1) : v;
    }
    modules.push({ loginModule, flag: flag.toLowerCase() as JaasFlag, options });
  }
  if (modules.length === 0) throw configError(key, "no login module");
  return modules;
}

/** The single login module Kafka allows in a sasl.jaas.config value. */
export function parseSingleJaasModule(text: string, key = "sasl.jaas.config"): JaasLoginModule {
  const mods = parseJaasConfig(text, key);
  if (mods.length !== 1) throw configError(key, `must contain exactly one login module, found ${mods.length}`);
  return mods[0];
}
