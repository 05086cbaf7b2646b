/**
 * Syslog messages (RFC 3164 and RFC 5424) to Flume events, with the headers
 * Flume's syslog sources set:
 *   Facility, Severity   priority / 8 and priority % 8 ("0" for invalid input)
 *   priority, version    the raw PRI digits and the RFC 5424 version, when present
 *   timestamp            ms since the epoch, when the message carries a stamp
 *   host                 the HOSTNAME field, when present
 *   flume.syslog.status  "Invalid" when the PRI part is malformed (the body is the
 *                        raw message), "Incomplete" when the frame hit eventSize
 * The body is the part after HOSTNAME, with the fields named by keepFields put
 * back in front ("all" keeps the raw message).
 *
 * One deliberate difference from Flume: an RFC 5424 stamp with a fraction and
 * a zone offset ("...T22:14:15.003+02:00") keeps its offset and reads the
 * fraction as a fraction of a second; Flume's date patterns drop the offset
 * (reading the local zone) in that case.
 */
import type { Event } from "../api.js";

export const SYSLOG_FACILITY = "Facility";
export const SYSLOG_SEVERITY = "Severity";
export const EVENT_STATUS = "flume.syslog.status";
export const DEFAULT_EVENT_SIZE = 2500;
export const MIN_EVENT_SIZE = 10;

export type KeepField = "priority" | "version" | "timestamp" | "hostname";
/** null: keep none; "all": the raw message; else the fields put back in the body */
export type KeepFields = null | "all" | Set<KeepField>;

const KEEPABLE: KeepField[] = ["priority", "version", "timestamp", "hostname"];

/** Flume's keepFields: none|false, all|true, or a list naming priority version timestamp hostname. */
export function chooseFieldsToKeep(value: string | undefined): KeepFields {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase();
  if (v === "" || v === "false" || v === "none") return null;
  if (v === "true" || v === "all") return "all";
  return new Set(KEEPABLE.filter((f) => v.includes(f)));
}

// RFC 5424: <PRI>VERSION STAMP HOST rest   (STAMP or HOST may be "-")
const STAMP_5424 = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:\d{2}|Z)?/.source;
const RFC5424 = new RegExp(
  String.raw`^(?:<(\d{1,3})>)(?:(\d?)\s?)(?:(${STAMP_5424})|-)\s(?:([\w][\w\d.@-]*)|-)\s(.*)$`,
  "s",
);
// (`s`: an octet-counted frame may hold newlines in its message)
// RFC 3164: <PRI>MMM dd HH:mm:ss HOST rest  (single-digit days have two spaces)
const RFC3164 =
  /^(?:<(\d{1,3})>)(?:(\d)?\s?)([A-Z][a-z][a-z]\s{1,2}\d{1,2}\s\d{2}:\d{2}:\d{2})\s([\w][\w\d.@-]*)\s(.*)$/s;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export interface ParseOptions {
  keepFields?: KeepFields;
  /** the clock for RFC 3164's missing year (tests pin it) */
  now?: () => number;
}

/** ms since the epoch of an RFC 5424 stamp, or undefined when it does not parse. */
export function parseRfc5424Stamp(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000 + 1e-9) : 0;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms] as const;
  if (parts[1] > 11 || parts[2] < 1 || parts[2] > 31 || parts[3] > 23 || parts[4] > 59 || parts[5] > 60)
    return undefined;
  if (zone === undefined) return new Date(...parts).getTime(); // no zone: the local zone, as Flume
  let t = Date.UTC(...parts);
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    t -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return t;
}

/**
 * ms of an RFC 3164 stamp ("Oct 11 22:14:15", local zone). The year is the
 * current one, moved so the result falls between 11 months ago and 1 month
 * ahead of now, as Flume does around New Year.
 */
export function parseRfc3164Stamp(s: string, now: number): number | undefined {
  const m = /^([A-Z][a-z][a-z])\s{1,2}(\d{1,2})\s(\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]);
  if (month < 0) return undefined;
  const year = new Date(now).getUTCFullYear();
  const at = (y: number) => new Date(y, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
  const t = at(year);
  const monthBefore = new Date(t);
  monthBefore.setMonth(monthBefore.getMonth() - 1);
  const elevenAfter = new Date(t);
  elevenAfter.setMonth(elevenAfter.getMonth() + 11);
  if (t > now && monthBefore.getTime() > now) return at(year - 1);
  if (t < now && elevenAfter.getTime() < now) return at(year + 1);
  return t;
}

/** Whether the message starts with a well-formed <PRI> (1-3 digits), as Flume's reader checks. */
function readPriority(raw: Buffer): string | null {
  if (raw.length === 0 || raw[0] !== 0x3c) return null;
  let i = 1;
  while (i < raw.length && i <= 4) {
    const b = raw[i];
    if (b === 0x3e) return i === 1 ? null : raw.toString("latin1", 1, i);
    if (b < 0x30 || b > 0x39) return null;
    i++;
  }
  return null;
}

/**
 * Builds the Flume event for one complete syslog message (no trailing newline).
 * `incomplete` marks a message cut at eventSize.
 */
export function syslogEvent(raw: Buffer, opts: ParseOptions = {}, incomplete = false): Event {
  const keep = opts.keepFields ?? null;
  const headers: Record<string, string> = {};
  const prio = readPriority(raw);
  if (prio === null) {
    headers[SYSLOG_FACILITY] = "0";
    headers[SYSLOG_SEVERITY] = "0";
    headers[EVENT_STATUS] = "Invalid";
    return { headers, body: raw };
  }
  const pri = Number(prio);
  headers[SYSLOG_FACILITY] = String(Math.floor(pri / 8));
  headers[SYSLOG_SEVERITY] = String(pri % 8);
  let body: Buffer = raw;
  const text = raw.toString("utf8");
  const now = opts.now ?? Date.now;
  for (const [re, kind] of [
    [RFC5424, 5424],
    [RFC3164, 3164],
  ] as const) {
    const m = re.exec(text);
    if (!m) continue;
    const [, priority, version, stamp, host, rest] = m;
    if (priority) headers.priority = priority;
    if (version) headers.version = version;
    if (stamp !== undefined) {
      const t = kind === 5424 ? parseRfc5424Stamp(stamp) : parseRfc3164Stamp(stamp.replace("  ", " "), now());
      if (t !== undefined) headers.timestamp = String(t);
    }
    if (host) headers.host = host;
    if (keep !== "all") {
      let b = rest;
      if (keep) {
        if (keep.has("hostname")) b = `${host ?? "null"} ${b}`;
        if (keep.has("timestamp")) b = `${stamp ?? "null"} ${b}`;
        if (keep.has("version") && version) b = `${version} ${b}`;
        if (keep.has("priority")) b = `<${priority}>${b}`;
      }
      if (b.length > 0) body = Buffer.from(b, "utf8");
    }
    break;
  }
  if (incomplete) headers[EVENT_STATUS] = "Incomplete";
  return { headers, body };
}

/**
 * Splits a TCP byte stream into syslog messages. Two framings (RFC 6587):
 * newline-terminated (what Flume reads) and octet-counted ("LEN SP MSG"),
 * recognised when a frame starts with a digit. A newline frame longer than
 * eventSize is cut there and flagged Incomplete, as Flume does; an
 * octet-counted frame longer than eventSize is truncated and flagged the same.
 */
export class SyslogFramer {
  private buf: Buffer = Buffer.alloc(0);
  readonly maxSize: number;

  constructor(eventSize = DEFAULT_EVENT_SIZE) {
    this.maxSize = Math.max(eventSize, MIN_EVENT_SIZE);
  }

  /** feeds bytes; returns the complete messages they finish */
  push(chunk: Buffer): { raw: Buffer; incomplete: boolean }[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: { raw: Buffer; incomplete: boolean }[] = [];
    for (;;) {
      // blank lines between frames are skipped
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 0x0a || this.buf[start] === 0x0d)) start++;
      if (start > 0) this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) break;
      const first = this.buf[0];
      if (first >= 0x31 && first <= 0x39) {
        // octet counting: digits, one space, then exactly that many bytes
        const sp = this.buf.indexOf(0x20);
        const digitsEnd = sp < 0 ? Math.min(this.buf.length, 11) : sp;
        const digits = this.buf.toString("latin1", 0, digitsEnd);
        if (/^\d+$/.test(digits) && digits.length <= 10) {
          if (sp < 0) break; // the length is still arriving
          const len = Number(digits);
          if (this.buf.length < sp + 1 + len) break;
          const msg = this.buf.subarray(sp + 1, sp + 1 + len);
          this.buf = this.buf.subarray(sp + 1 + len);
          out.push(
            msg.length > this.maxSize
              ? { raw: msg.subarray(0, this.maxSize), incomplete: true }
              : { raw: msg, incomplete: false },
          );
          continue;
        }
        // not a length: fall through to newline framing (an invalid message)
      }
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0 && nl <= this.maxSize) {
        out.push({ raw: this.buf.subarray(0, nl), incomplete: false });
        this.buf = this.buf.subarray(nl + 1);
        continue;
      }
      if (nl > this.maxSize || (nl < 0 && this.buf.length >= this.maxSize)) {
        out.push({ raw: this.buf.subarray(0, this.maxSize), incomplete: true });
        this.buf = this.buf.subarray(this.maxSize);
        continue;
      }
      break;
    }
    // keep what is left in a buffer of its own (not a view pinning a big chunk)
    if (this.buf.length > 0 && this.buf.byteOffset !== 0) this.buf = Buffer.from(this.buf);
    return out;
  }

  /** bytes of a frame still waiting for its end */
  pending(): number {
    return this.buf.length;
  }
}
