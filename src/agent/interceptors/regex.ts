/**
 * Flume's body-regex interceptors: search_replace, regex_filter, regex_extractor.
 * Patterns are Java regular expressions; the common subset is the same in
 * JavaScript, and one that does not compile is a config error at its key.
 */
import type { ComponentEnv, Context, Event, Interceptor } from "../api.js";

function compile(ctx: Context, key: string, src: string, flags = ""): RegExp {
  try {
    return new RegExp(src, flags);
  } catch (err) {
    throw ctx.error(key, `is not a valid regular expression: ${(err as Error).message}`);
  }
}

const CHARSETS: Record<string, BufferEncoding> = {
  "utf-8": "utf8",
  utf8: "utf8",
  "us-ascii": "ascii",
  ascii: "ascii",
  "iso-8859-1": "latin1",
  latin1: "latin1",
  "utf-16le": "utf16le",
};

/** Java's replacement syntax ($1, ${name}, \x) in JavaScript's ($1, $<name>, $$). */
export function javaReplacement(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length) {
      const n = s[++i];
      out += n === "$" ? "$$" : n;
    } else if (c === "$" && s[i + 1] === "{") {
      const end = s.indexOf("}", i);
      out += `$<${s.slice(i + 2, end)}>`;
      i = end;
    } else out += c;
  }
  return out;
}

/** search_replace: replaces every match of searchPattern in the body with replaceString; charset (UTF-8). */
export function searchReplaceInterceptor(ctx: Context): Interceptor {
  const pattern = compile(ctx, "searchPattern", ctx.requireString("searchPattern"), "g");
  if (!ctx.has("replaceString")) throw ctx.error("replaceString", "is required (it may be empty)");
  const replacement = javaReplacement(ctx.entry("replaceString")!.value);
  ctx.markUsed("replaceString");
  const cs = ctx.getString("charset", "UTF-8");
  const enc = CHARSETS[cs.toLowerCase()];
  if (!enc) throw ctx.error("charset", `names an unsupported charset "${cs}"`);
  return {
    intercept(e: Event) {
      const text = e.body.toString(enc);
      pattern.lastIndex = 0;
      const out = text.replace(pattern, replacement);
      if (out !== text) e.body = Buffer.from(out, enc);
      return e;
    },
  };
}

/** regex_filter: keeps events whose body matches regex (.*), or drops them when excludeEvents (false). */
export function regexFilterInterceptor(ctx: Context): Interceptor {
  const re = compile(ctx, "regex", ctx.getString("regex", ".*"));
  const exclude = ctx.getBoolean("excludeEvents", false);
  return {
    intercept(e: Event) {
      const m = re.test(e.body.toString("utf8"));
      return m !== exclude ? e : null;
    },
  };
}

type Serializer = (group: string) => string;

/** Joda-style date pattern (yyyy MM dd HH mm ss SSS, literals in '') to epoch ms, UTC. */
function millisSerializer(ctx: Context, key: string, pattern: string): Serializer {
  const fields: string[] = [];
  let re = "";
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i];
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      re += (end < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, end)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    let j = i;
    while (j < pattern.length && pattern[j] === c) j++;
    const run = pattern.slice(i, j);
    if ("yMdHhmsS".includes(c)) {
      fields.push(c);
      re += `(\\d{1,${Math.max(run.length, c === "y" ? 4 : 2)}})`;
    } else if (/[a-zA-Z]/.test(c))
      throw ctx.error(key, `uses pattern letter "${c}", which is not supported (y M d H h m s S)`);
    else re += run.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    i = j;
  }
  const rx = new RegExp(`^${re}$`);
  return (g) => {
    const m = rx.exec(g);
    if (!m) return g;
    const v: Record<string, number> = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0 };
    fields.forEach((f, i) => {
      v[f === "h" ? "H" : f] = Number(m[i + 1]);
    });
    return String(Date.UTC(v.y, v.M - 1, v.d, v.H, v.m, v.s, v.S));
  };
}

/**
 * regex_extractor: on the first match of regex in the body, group i+1 goes to
 * header serializers.<s_i>.name through serializers.<s_i>.type (pass-through by
 * default, or RegexExtractorInterceptorMillisSerializer with `pattern`).
 */
export function regexExtractorInterceptor(ctx: Context, _env?: ComponentEnv): Interceptor {
  const re = compile(ctx, "regex", ctx.requireString("regex"));
  const names = ctx.getString("serializers", "").split(/\s+/).filter(Boolean);
  const sctx = ctx.sub("serializers");
  const serializers: { header: string; fn: Serializer }[] = names.map((n) => {
    const c = sctx.sub(n);
    const header = c.requireString("name");
    const type = c.getString("type", "org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer");
    if (/PassThroughSerializer$/.test(type) || type === "default") return { header, fn: (g: string) => g };
    if (/MillisSerializer$/.test(type))
      return { header, fn: millisSerializer(c, "pattern", c.requireString("pattern")) };
    throw c.error("type", `names an unknown serializer "${type}"`);
  });
  if (serializers.length === 0) throw ctx.error("serializers", "is required: name at least one serializer");
  return {
    intercept(e: Event) {
      const m = re.exec(e.body.toString("utf8"));
      if (!m) return e;
      for (let i = 0; i < serializers.length && i + 1 < m.length; i++) {
        const g = m[i + 1];
        if (g !== undefined && g !== "") e.headers[serializers[i].header] = serializers[i].fn(g);
      }
      return e;
    },
  };
}
