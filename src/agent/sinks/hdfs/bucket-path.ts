/**
 * Flume's BucketPath escapes for hdfs.path and hdfs.filePrefix:
 *   %{header}  the header's value ("" when absent)
 *   %t millis, %s seconds since the epoch
 *   %a %A weekday short/long, %b %B month short/long, %c "EEE MMM d HH:mm:ss yyyy",
 *   %d day 01-31, %e day 1-31, %D MM/dd/yy, %H 00-23, %I 01-12, %j day of year 001-366,
 *   %k hour 0-23, %l hour 1-12, %m month 01-12, %n month 1-12, %M minute, %p AM/PM,
 *   %S second, %y 2-digit year, %Y year, %z +hhmm
 *   %[localhost] host name, %[IP] an IPv4 address of this host, %[FQDN] host name
 * Time escapes read the `timestamp` header (millis) unless useLocalTimeStamp; a
 * missing or unparsable timestamp fails the event as in Flume.
 */
import { hostname, networkInterfaces } from "node:os";
import { AgentError } from "../../api.js";

export interface EscapeOptions {
  timeZone?: string;
  useLocalTimeStamp?: boolean;
  round?: boolean;
  roundValue?: number;
  roundUnit?: "second" | "minute" | "hour";
  /** clock for useLocalTimeStamp (tests) */
  now?: () => number;
}

const DAYS_SHORT = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const DAYS_LONG = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_LONG = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

interface Parts {
  y: number;
  mo: number; // 1-12
  d: number;
  h: number;
  mi: number;
  s: number;
  wd: number; // 0 = Sunday
  offsetMin: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string | undefined): Intl.DateTimeFormat {
  const key = tz ?? "";
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(key, f);
  }
  return f;
}

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

let lastKey = "";
let lastParts: Parts | null = null;
export function timeParts(ts: number, tz?: string): Parts {
  const sec = Math.floor(ts / 1000);
  const key = `${tz ?? ""}|${sec}`;
  if (key === lastKey && lastParts) return lastParts;
  const p: Record<string, number> = {};
  for (const x of formatter(tz).formatToParts(new Date(sec * 1000)))
    if (x.type !== "literal") p[x.type] = Number(x.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  const parts: Parts = {
    y: p.year!,
    mo: p.month!,
    d: p.day!,
    h: p.hour!,
    mi: p.minute!,
    s: p.second!,
    wd: new Date(asUtc).getUTCDay(),
    offsetMin: Math.round((asUtc - sec * 1000) / 60000),
  };
  lastKey = key;
  lastParts = parts;
  return parts;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function dayOfYear(p: Parts): number {
  return Math.round((Date.UTC(p.y, p.mo - 1, p.d) - Date.UTC(p.y, 0, 1)) / 86400000) + 1;
}

/** rounds a timestamp down to roundValue units, within the minute/hour/day in the time zone */
export function roundDown(ts: number, value: number, unit: "second" | "minute" | "hour", tz?: string): number {
  const p = timeParts(ts, tz);
  const ms = ((ts % 1000) + 1000) % 1000;
  if (unit === "second") return ts - ms - (p.s % value) * 1000;
  if (unit === "minute") return ts - ms - p.s * 1000 - (p.mi % value) * 60000;
  return ts - ms - p.s * 1000 - p.mi * 60000 - (p.h % value) * 3600000;
}

let ip: string | undefined;
function localIp(): string {
  if (ip === undefined) {
    ip = "127.0.0.1";
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? [])
        if (a.family === "IPv4" && !a.internal) {
          ip = a.address;
          return ip;
        }
  }
  return ip;
}

export class TimestampMissingError extends AgentError {
  constructor(value: string | undefined) {
    super(
      "MR_AGENT_HDFS_TIMESTAMP",
      "cannot resolve time escapes: the event's timestamp header is " +
        `${value === undefined ? "missing" : `"${value}"`} ` +
        "(add the timestamp interceptor or set hdfs.useLocalTimeStamp = true)",
    );
  }
}

const ESCAPE = /%(\{[^}]*\}|\[[^\]]*\]|.)/g;

/** true when the string has a time escape (so a timestamp is needed) */
export function needsTime(s: string): boolean {
  for (const m of s.matchAll(ESCAPE)) if (m[1]!.length === 1 && "aAbBcdeDHIjklmnMpsStyYz".includes(m[1]!)) return true;
  return false;
}

export function escapeString(s: string, headers: Record<string, string>, opts: EscapeOptions = {}): string {
  if (!s.includes("%")) return s;
  let ts: number | undefined;
  const time = (): number => {
    if (ts !== undefined) return ts;
    let t: number;
    if (opts.useLocalTimeStamp) t = (opts.now ?? Date.now)();
    else {
      const h = headers.timestamp;
      if (h === undefined || !/^-?\d+$/.test(h.trim())) throw new TimestampMissingError(h);
      t = Number(h.trim());
    }
    if (opts.round) t = roundDown(t, opts.roundValue ?? 1, opts.roundUnit ?? "second", opts.timeZone);
    ts = t;
    return t;
  };
  return s.replace(ESCAPE, (_all, tag: string) => {
    if (tag.startsWith("{")) return headers[tag.slice(1, -1)] ?? "";
    if (tag.startsWith("[")) {
      const what = tag.slice(1, -1).toLowerCase();
      if (what === "localhost" || what === "fqdn") return hostname();
      if (what === "ip") return localIp();
      return "";
    }
    if (tag === "t") return String(time());
    if (tag === "s") return String(Math.floor(time() / 1000));
    if (!"aAbBcdeDHIjklmnMpSyYz".includes(tag)) return "";
    const p = timeParts(time(), opts.timeZone);
    const h12 = p.h % 12 === 0 ? 12 : p.h % 12;
    switch (tag) {
      case "a":
        return DAYS_SHORT[p.wd]!;
      case "A":
        return DAYS_LONG[p.wd]!;
      case "b":
        return MONTHS_SHORT[p.mo - 1]!;
      case "B":
        return MONTHS_LONG[p.mo - 1]!;
      case "c":
        return `${DAYS_SHORT[p.wd]} ${MONTHS_SHORT[p.mo - 1]} ${p.d} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)} ${p.y}`;
      case "d":
        return pad(p.d);
      case "e":
        return String(p.d);
      case "D":
        return `${pad(p.mo)}/${pad(p.d)}/${pad(p.y % 100)}`;
      case "H":
        return pad(p.h);
      case "I":
        return pad(h12);
      case "j":
        return pad(dayOfYear(p), 3);
      case "k":
        return String(p.h);
      case "l":
        return String(h12);
      case "m":
        return pad(p.mo);
      case "n":
        return String(p.mo);
      case "M":
        return pad(p.mi);
      case "p":
        return p.h < 12 ? "AM" : "PM";
      case "S":
        return pad(p.s);
      case "y":
        return pad(p.y % 100);
      case "Y":
        return String(p.y);
      case "z": {
        const o = Math.abs(p.offsetMin);
        return `${p.offsetMin < 0 ? "-" : "+"}${pad(Math.floor(o / 60))}${pad(o % 60)}`;
      }
    }
    return "";
  });
}
