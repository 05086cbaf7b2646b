/**
 * Flume's header interceptors: timestamp, host, static, remove_header, uuid.
 * Each returns the event with its headers changed; none drops events.
 */
import { randomUUID } from "node:crypto";
import { hostname, networkInterfaces } from "node:os";
import type { ComponentEnv, Context, Event, Interceptor } from "../api.js";

/** timestamp: header (timestamp) = the time of interception in ms; preserveExisting (false). */
export function timestampInterceptor(ctx: Context, _env?: ComponentEnv, now: () => number = Date.now): Interceptor {
  const header = ctx.getString("header", "timestamp");
  const preserve = ctx.getBoolean("preserveExisting", false);
  return {
    intercept(e: Event) {
      if (!(preserve && header in e.headers)) e.headers[header] = String(now());
      return e;
    },
  };
}

function localIp(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** host: hostHeader (host) = the agent's IP (useIP true) or host name; preserveExisting (false). */
export function hostInterceptor(ctx: Context): Interceptor {
  const header = ctx.getString("hostHeader", "host");
  const useIP = ctx.getBoolean("useIP", true);
  const preserve = ctx.getBoolean("preserveExisting", false);
  const value = useIP ? localIp() : hostname();
  return {
    intercept(e: Event) {
      if (!(preserve && header in e.headers)) e.headers[header] = value;
      return e;
    },
  };
}

/** static: key (key) = value (value); preserveExisting (true). */
export function staticInterceptor(ctx: Context): Interceptor {
  const key = ctx.getString("key", "key");
  const value = ctx.getString("value", "value");
  const preserve = ctx.getBoolean("preserveExisting", true);
  return {
    intercept(e: Event) {
      if (!(preserve && key in e.headers)) e.headers[key] = value;
      return e;
    },
  };
}

function compile(ctx: Context, key: string, src: string): RegExp {
  try {
    return new RegExp(src);
  } catch (err) {
    throw ctx.error(key, `is not a valid regular expression: ${(err as Error).message}`);
  }
}

/**
 * remove_header: removes the header withName, every header in fromList (split
 * by the regex listSeparator, default ","), and every header whose whole name
 * matches the regex `matching`.
 */
export function removeHeaderInterceptor(ctx: Context): Interceptor {
  const withName = ctx.getString("withName");
  const sep = ctx.getString("listSeparator", ",");
  const fromList = ctx.getString("fromList");
  const names = new Set<string>();
  if (withName) names.add(withName);
  if (fromList) for (const n of fromList.split(compile(ctx, "listSeparator", sep))) if (n.trim()) names.add(n.trim());
  const m = ctx.getString("matching");
  const matching = m ? compile(ctx, "matching", `^(?:${m})$`) : undefined;
  return {
    intercept(e: Event) {
      for (const k of Object.keys(e.headers)) if (names.has(k) || matching?.test(k)) delete e.headers[k];
      return e;
    },
  };
}

/** uuid: headerName (id) = a random UUID with prefix (""); preserveExisting (true). */
export function uuidInterceptor(ctx: Context): Interceptor {
  const header = ctx.getString("headerName", "id");
  const prefix = ctx.getString("prefix", "");
  const preserve = ctx.getBoolean("preserveExisting", true);
  return {
    intercept(e: Event) {
      if (!(preserve && header in e.headers)) e.headers[header] = prefix + randomUUID();
      return e;
    },
  };
}
