/**
 * Java .properties files (the format of Kafka's server.properties and Flume's
 * agent configurations): `key=value`, `key: value` or `key value`, `#` and `!`
 * comments, backslash line continuations and escapes (\t \n \r \f \uXXXX).
 * Every entry keeps the file and line it came from, so configuration errors
 * can name file:line:key.
 */
import { readFileSync } from "node:fs";

export interface PropertyEntry {
  key: string;
  value: string;
  file: string;
  line: number;
}

export interface Properties {
  /** entries in file order; a repeated key keeps its last value in `map` */
  entries: PropertyEntry[];
  map: Map<string, PropertyEntry>;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    switch (c) {
      case "t":
        return "\t";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "f":
        return "\f";
      default:
        return c;
    }
  });
}

/** Ends with an odd number of backslashes: the line continues. */
function continues(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

export function parseProperties(text: string, file = "<string>"): Properties {
  const entries: PropertyEntry[] = [];
  const map = new Map<string, PropertyEntry>();
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i].replace(/^[ \t\f]+/, "");
    if (logical === "" || logical[0] === "#" || logical[0] === "!") continue;
    while (continues(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, "");
    }
    if (continues(logical)) logical = logical.slice(0, -1);
    // The key ends at the first unescaped '=', ':' or whitespace.
    let k = 0;
    while (k < logical.length) {
      const c = logical[k];
      if (c === "\\") {
        k += 2;
        continue;
      }
      if (c === "=" || c === ":" || c === " " || c === "\t" || c === "\f") break;
      k++;
    }
    const rawKey = logical.slice(0, k);
    let rest = logical.slice(k).replace(/^[ \t\f]+/, "");
    if (rest[0] === "=" || rest[0] === ":") rest = rest.slice(1).replace(/^[ \t\f]+/, "");
    const entry: PropertyEntry = {
      key: unescapeProperty(rawKey),
      value: unescapeProperty(rest),
      file,
      line: startLine,
    };
    entries.push(entry);
    map.set(entry.key, entry);
  }
  return { entries, map };
}

export function readPropertiesFile(path: string): Properties {
  return parseProperties(readFileSync(path, "utf8"), path);
}
