/**
 * A small, careful HTML-to-text for Mastodon status content (which is a limited
 * HTML subset: <p>, <br>, <a>, <span>, sometimes lists and quotes). Paragraphs
 * become blank-line separated, <br> a newline, other tags vanish, entities are
 * decoded after the tags are gone (so "&lt;b&gt;" stays literal text).
 */

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  laquo: "«",
  raquo: "»",
  copy: "©",
  reg: "®",
  euro: "€",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z][a-zA-Z0-9]{1,31});/g, (m, body: string) => {
    if (body[0] === "#") {
      const cp = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(cp) || cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\ufffd";
      return String.fromCodePoint(cp);
    }
    const v = NAMED[body] ?? NAMED[body.toLowerCase()];
    return v ?? m;
  });
}

export interface HtmlLink {
  href: string;
  /** the class attribute (Mastodon marks mentions "u-url mention" and hashtags "mention hashtag") */
  className: string;
}

function attr(tag: string, name: string): string | undefined {
  const re = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i");
  const m = re.exec(tag);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? "");
}

/** The <a href> links of a fragment, in order. */
export function htmlLinks(html: string): HtmlLink[] {
  const out: HtmlLink[] = [];
  for (const m of html.matchAll(/<a\b[^>]*>/gi)) {
    const href = attr(m[0], "href");
    if (href !== undefined) out.push({ href, className: attr(m[0], "class") ?? "" });
  }
  return out;
}

export function htmlToText(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|blockquote|h[1-6]|pre)\s*>\s*/gi, "\n\n")
    .replace(/<li\b[^>]*>/gi, "\n• ")
    .replace(/<\/?(ul|ol)\b[^>]*>/gi, "\n")
    .replace(/<[a-zA-Z/!][^>]*>/g, "");
  s = decodeEntities(s).replace(/\u00a0/g, " ");
  return s
    .split("\n")
    .map((l) => l.replace(/[ \t]+$/g, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
