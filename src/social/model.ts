/**
 * One normalized post model for every stream millrace reads: Twitter API v2
 * (filtered/sample stream lines: data + includes), Twitter v1.1 statuses, Bluesky
 * Jetstream commit events (app.bsky.feed.post, and reposts), Mastodon statuses,
 * and the synthetic generator (which emits v2 payloads). A payload that is not
 * well formed raises MR_SOCIAL_INVALID; a well-formed event that is simply not a
 * post (a delete, an identity event, a v2 error line) raises MR_SOCIAL_NOT_A_POST.
 */
import { extractEntities } from "./entities.js";
import { notAPost, socialInvalid } from "./errors.js";
import { htmlLinks, htmlToText } from "./html.js";

export type PostSource = "twitter-v2" | "twitter-v1" | "jetstream" | "mastodon" | "synthetic";

export interface Author {
  id: string;
  handle: string;
  name: string | null;
  followers?: number;
  following?: number;
  statuses?: number;
  location?: string;
  description?: string;
}

export interface Post {
  id: string;
  source: PostSource;
  /** milliseconds since the epoch */
  createdAt: number;
  text: string;
  /** BCP-47-ish code from the payload, or null when the payload has none ("und" counts as none) */
  lang: string | null;
  author: Author;
  hashtags: string[];
  mentions: string[];
  urls: string[];
  cashtags: string[];
  isRetweet: boolean;
  isReply: boolean;
  inReplyToId?: string;
  inReplyToUserId?: string;
  retweetOfId?: string;
  /** the posting client ("source" in Twitter payloads, application in Mastodon) */
  client?: string;
  retweetCount?: number;
  media?: { url: string; expandedUrl?: string }[];
  raw?: unknown;
}

export interface ParseOptions {
  /** keep the original payload in `raw` */
  keepRaw?: boolean;
  /** override the source tag (e.g. "synthetic" for generator output) */
  source?: PostSource;
}

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function reqObj(x: unknown, what: string): Obj {
  if (!isObj(x)) throw socialInvalid(`${what} must be an object`);
  return x;
}

function reqStr(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== "string") throw socialInvalid(`${what}.${key} must be a string`);
  return v;
}

function optStr(o: Obj | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === "string" ? v : undefined;
}

function optNum(o: Obj | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function arr(x: unknown): Obj[] {
  return Array.isArray(x) ? x.filter(isObj) : [];
}

function normLang(l: unknown): string | null {
  return typeof l === "string" && l !== "" && l !== "und" ? l : null;
}

function parseTime(s: unknown, what: string): number {
  if (typeof s !== "string") throw socialInvalid(`${what} must be a date string`);
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw socialInvalid(`${what} is not a date: ${JSON.stringify(s).slice(0, 60)}`);
  return t;
}

const TWITTER_EPOCH = 1288834974657n;

/** A Snowflake id's timestamp (tweets since late 2010). */
export function snowflakeTime(id: string): number | undefined {
  if (!/^\d{1,20}$/.test(id)) return undefined;
  const v = BigInt(id);
  if (v < 1n << 22n) return undefined;
  return Number((v >> 22n) + TWITTER_EPOCH);
}

function idOf(o: Obj, strKey: string, numKey: string, what: string): string {
  const s = o[strKey];
  if (typeof s === "string" && s !== "") return s;
  const n = o[numKey];
  if (typeof n === "string" && n !== "") return n;
  if (typeof n === "number" && Number.isSafeInteger(n)) return String(n);
  throw socialInvalid(`${what} has no usable ${strKey}`);
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

function withRaw(p: Post, raw: unknown, opts: ParseOptions): Post {
  if (opts.keepRaw) p.raw = raw;
  return p;
}

// ---------------------------------------------------------------- Twitter v2

/** A Twitter API v2 stream line: `{ data, includes?, matching_rules? }`. */
export function fromTwitterV2(payload: unknown, opts: ParseOptions = {}): Post {
  const root = reqObj(payload, "v2 payload");
  if (!("data" in root) && Array.isArray(root.errors)) throw notAPost("Twitter v2 error line");
  const data = reqObj(root.data, "v2 payload.data");
  const id = reqStr(data, "id", "data");
  const text = reqStr(data, "text", "data");
  if (!/^\d+$/.test(id)) throw socialInvalid(`data.id is not a tweet id: ${id.slice(0, 40)}`);
  const includes = isObj(root.includes) ? root.includes : {};
  const authorId = optStr(data, "author_id") ?? "";
  const user = arr(includes.users).find((u) => u.id === authorId);
  const um = isObj(user?.public_metrics) ? user.public_metrics : undefined;
  const author: Author = {
    id: authorId,
    handle: optStr(user, "username") ?? "",
    name: optStr(user, "name") ?? null,
  };
  if (optNum(um, "followers_count") !== undefined) author.followers = optNum(um, "followers_count");
  if (optNum(um, "following_count") !== undefined) author.following = optNum(um, "following_count");
  if (optNum(um, "tweet_count") !== undefined) author.statuses = optNum(um, "tweet_count");
  if (optStr(user, "location") !== undefined) author.location = optStr(user, "location");
  if (optStr(user, "description") !== undefined) author.description = optStr(user, "description");

  const createdAt = data.created_at !== undefined ? parseTime(data.created_at, "data.created_at") : snowflakeTime(id);
  if (createdAt === undefined) throw socialInvalid("data has neither created_at nor a Snowflake id");

  let hashtags: string[], mentions: string[], urls: string[], cashtags: string[];
  const ents = isObj(data.entities) ? data.entities : undefined;
  const urlEnts = arr(ents?.urls);
  if (ents) {
    hashtags = arr(ents.hashtags).map((h) => String(h.tag ?? ""));
    mentions = arr(ents.mentions).map((m) => String(m.username ?? ""));
    urls = urlEnts.map((u) => String(u.expanded_url ?? u.url ?? ""));
    cashtags = arr(ents.cashtags).map((c) => String(c.tag ?? ""));
  } else {
    const e = extractEntities(text);
    hashtags = e.hashtags.map((h) => h.tag);
    mentions = e.mentions.map((m) => m.username);
    urls = e.urls.map((u) => u.url);
    cashtags = e.cashtags.map((c) => c.tag);
  }
  const refs = arr(data.referenced_tweets);
  const rt = refs.find((r) => r.type === "retweeted");
  const reply = refs.find((r) => r.type === "replied_to");
  const post: Post = {
    id,
    source: opts.source ?? "twitter-v2",
    createdAt,
    text,
    lang: normLang(data.lang),
    author,
    hashtags,
    mentions,
    urls,
    cashtags,
    isRetweet: rt !== undefined,
    isReply: reply !== undefined || typeof data.in_reply_to_user_id === "string",
  };
  if (rt && typeof rt.id === "string") post.retweetOfId = rt.id;
  if (reply && typeof reply.id === "string") post.inReplyToId = reply.id;
  if (typeof data.in_reply_to_user_id === "string") post.inReplyToUserId = data.in_reply_to_user_id;
  if (typeof data.source === "string") post.client = data.source;
  const pm = isObj(data.public_metrics) ? data.public_metrics : undefined;
  if (optNum(pm, "retweet_count") !== undefined) post.retweetCount = optNum(pm, "retweet_count");
  const keys = isObj(data.attachments) && Array.isArray(data.attachments.media_keys) ? data.attachments.media_keys : [];
  if (keys.length > 0) {
    const media = arr(includes.media).filter((m) => keys.includes(m.media_key));
    const list = media
      .map((m) => {
        const url = optStr(m, "url") ?? optStr(m, "preview_image_url");
        const link = urlEnts.find((u) => u.media_key === m.media_key);
        return url
          ? { url, ...(typeof link?.expanded_url === "string" ? { expandedUrl: link.expanded_url } : {}) }
          : undefined;
      })
      .filter((m): m is { url: string; expandedUrl?: string } => m !== undefined);
    if (list.length > 0) post.media = list;
  }
  return withRaw(post, payload, opts);
}

// -------------------------------------------------------------- Twitter v1.1

/** A Twitter API v1.1 status (streaming or REST), including extended_tweet. */
export function fromTwitterV1(status: unknown, opts: ParseOptions = {}): Post {
  const s = reqObj(status, "v1.1 status");
  if (isObj(s.delete) || isObj(s.limit) || isObj(s.scrub_geo)) throw notAPost("Twitter v1.1 notice");
  const id = idOf(s, "id_str", "id", "status");
  const ext = isObj(s.extended_tweet) ? s.extended_tweet : undefined;
  const text = optStr(ext, "full_text") ?? optStr(s, "full_text") ?? optStr(s, "text");
  if (text === undefined) throw socialInvalid("status.text must be a string");
  const createdAt = parseTime(s.created_at, "status.created_at");
  const u = reqObj(s.user, "status.user");
  const author: Author = {
    id: idOf(u, "id_str", "id", "status.user"),
    handle: reqStr(u, "screen_name", "status.user"),
    name: optStr(u, "name") ?? null,
  };
  const n = (k: string): number | undefined => optNum(u, k);
  if (n("followers_count") !== undefined) author.followers = n("followers_count");
  if (n("friends_count") !== undefined) author.following = n("friends_count");
  if (n("statuses_count") !== undefined) author.statuses = n("statuses_count");
  if (optStr(u, "location")) author.location = optStr(u, "location");
  if (optStr(u, "description")) author.description = optStr(u, "description");
  const ents = isObj(ext?.entities) ? (ext.entities as Obj) : isObj(s.entities) ? s.entities : undefined;
  let hashtags: string[], mentions: string[], urls: string[], cashtags: string[];
  if (ents) {
    hashtags = arr(ents.hashtags).map((h) => String(h.text ?? ""));
    mentions = arr(ents.user_mentions).map((m) => String(m.screen_name ?? ""));
    urls = arr(ents.urls).map((x) => String(x.expanded_url ?? x.url ?? ""));
    cashtags = arr(ents.symbols).map((c) => String(c.text ?? ""));
  } else {
    const e = extractEntities(text);
    hashtags = e.hashtags.map((h) => h.tag);
    mentions = e.mentions.map((m) => m.username);
    urls = e.urls.map((x) => x.url);
    cashtags = e.cashtags.map((c) => c.tag);
  }
  const rs = isObj(s.retweeted_status) ? s.retweeted_status : undefined;
  const replyId =
    optStr(s, "in_reply_to_status_id_str") ??
    (typeof s.in_reply_to_status_id === "number" && Number.isSafeInteger(s.in_reply_to_status_id)
      ? String(s.in_reply_to_status_id)
      : undefined);
  const post: Post = {
    id,
    source: opts.source ?? "twitter-v1",
    createdAt,
    text,
    lang: normLang(s.lang),
    author,
    hashtags,
    mentions,
    urls,
    cashtags,
    isRetweet: rs !== undefined,
    isReply: replyId !== undefined,
  };
  if (rs) post.retweetOfId = idOf(rs, "id_str", "id", "retweeted_status");
  if (replyId) post.inReplyToId = replyId;
  const replyUser = optStr(s, "in_reply_to_user_id_str");
  if (replyUser) post.inReplyToUserId = replyUser;
  if (typeof s.source === "string") post.client = s.source;
  if (optNum(s, "retweet_count") !== undefined) post.retweetCount = optNum(s, "retweet_count");
  const xents = isObj(ext?.extended_entities)
    ? (ext.extended_entities as Obj)
    : isObj(s.extended_entities)
      ? s.extended_entities
      : ents;
  const media = arr(xents?.media)
    .filter((m) => typeof m.media_url_https === "string")
    .map((m) => ({
      url: m.media_url_https as string,
      ...(typeof m.expanded_url === "string" ? { expandedUrl: m.expanded_url } : {}),
    }));
  if (media.length > 0) post.media = media;
  return withRaw(post, status, opts);
}

// ------------------------------------------------------------ Bluesky Jetstream

function utf8Slice(text: string, byteStart: number, byteEnd: number): string | undefined {
  const b = Buffer.from(text, "utf8");
  if (
    !(
      Number.isInteger(byteStart) &&
      Number.isInteger(byteEnd) &&
      0 <= byteStart &&
      byteStart <= byteEnd &&
      byteEnd <= b.length
    )
  )
    return undefined;
  return b.subarray(byteStart, byteEnd).toString("utf8");
}

/** A Jetstream event: `{ did, time_us, kind: "commit", commit: { operation, collection, rkey, record, cid } }`. */
export function fromJetstream(event: unknown, opts: ParseOptions = {}): Post {
  const e = reqObj(event, "Jetstream event");
  const did = reqStr(e, "did", "event");
  if (typeof e.time_us !== "number") throw socialInvalid("event.time_us must be a number");
  if (e.kind !== "commit") throw notAPost(`Jetstream ${String(e.kind)} event`);
  const c = reqObj(e.commit, "event.commit");
  const op = reqStr(c, "operation", "commit");
  const collection = reqStr(c, "collection", "commit");
  const rkey = reqStr(c, "rkey", "commit");
  if (op === "delete") throw notAPost(`Jetstream delete of ${collection}`);
  if (collection !== "app.bsky.feed.post" && collection !== "app.bsky.feed.repost")
    throw notAPost(`Jetstream ${collection} commit`);
  const r = reqObj(c.record, "commit.record");
  const id = `at://${did}/${collection}/${rkey}`;
  const createdAt =
    typeof r.createdAt === "string" && Number.isFinite(Date.parse(r.createdAt))
      ? Date.parse(r.createdAt)
      : Math.floor(e.time_us / 1000);
  const author: Author = { id: did, handle: did, name: null };
  if (collection === "app.bsky.feed.repost") {
    const subject = reqObj(r.subject, "repost.subject");
    const post: Post = {
      id,
      source: opts.source ?? "jetstream",
      createdAt,
      text: "",
      lang: null,
      author,
      hashtags: [],
      mentions: [],
      urls: [],
      cashtags: [],
      isRetweet: true,
      isReply: false,
      retweetOfId: reqStr(subject, "uri", "repost.subject"),
    };
    return withRaw(post, event, opts);
  }
  const text = reqStr(r, "text", "record");
  const hashtags: string[] = [];
  const mentions: string[] = [];
  const urls: string[] = [];
  for (const f of arr(r.facets)) {
    const idx = isObj(f.index) ? f.index : undefined;
    for (const feat of arr(f.features)) {
      const t = feat.$type;
      if (t === "app.bsky.richtext.facet#tag" && typeof feat.tag === "string") hashtags.push(feat.tag);
      else if (t === "app.bsky.richtext.facet#link" && typeof feat.uri === "string") urls.push(feat.uri);
      else if (t === "app.bsky.richtext.facet#mention") {
        const s = idx ? utf8Slice(text, Number(idx.byteStart), Number(idx.byteEnd)) : undefined;
        const handle = s?.replace(/^@/, "");
        mentions.push(handle || String(feat.did ?? ""));
      }
    }
  }
  if (Array.isArray(r.tags)) for (const t of r.tags) if (typeof t === "string") hashtags.push(t);
  const cashtags = extractEntities(text).cashtags.map((x) => x.tag);
  const reply = isObj(r.reply) && isObj(r.reply.parent) ? r.reply.parent : undefined;
  const post: Post = {
    id,
    source: opts.source ?? "jetstream",
    createdAt,
    text,
    lang: Array.isArray(r.langs) ? normLang(r.langs[0]) : null,
    author,
    hashtags: uniq(hashtags),
    mentions: uniq(mentions),
    urls: uniq(urls),
    cashtags,
    isRetweet: false,
    isReply: reply !== undefined,
  };
  if (reply && typeof reply.uri === "string") post.inReplyToId = reply.uri;
  return withRaw(post, event, opts);
}

// -------------------------------------------------------------------- Mastodon

/** A Mastodon status entity (REST or the streaming API's `update` payload). */
export function fromMastodon(status: unknown, opts: ParseOptions = {}): Post {
  const s = reqObj(status, "Mastodon status");
  const id = reqStr(s, "id", "status");
  const createdAt = parseTime(s.created_at, "status.created_at");
  const acc = reqObj(s.account, "status.account");
  const author: Author = {
    id: reqStr(acc, "id", "account"),
    handle: optStr(acc, "acct") ?? reqStr(acc, "username", "account"),
    name: optStr(acc, "display_name") || null,
  };
  if (optNum(acc, "followers_count") !== undefined) author.followers = optNum(acc, "followers_count");
  if (optNum(acc, "following_count") !== undefined) author.following = optNum(acc, "following_count");
  if (optNum(acc, "statuses_count") !== undefined) author.statuses = optNum(acc, "statuses_count");
  const reblog = isObj(s.reblog) ? s.reblog : undefined;
  const body = reblog ?? s;
  const html = reqStr(body, "content", reblog ? "status.reblog" : "status");
  const text = htmlToText(html);
  const links = htmlLinks(html).filter((l) => !/\b(mention|hashtag)\b/.test(l.className));
  const post: Post = {
    id,
    source: opts.source ?? "mastodon",
    createdAt,
    text,
    lang: normLang(body.language),
    author,
    hashtags: uniq(
      arr(body.tags)
        .map((t) => String(t.name ?? ""))
        .filter((t) => t !== ""),
    ),
    mentions: uniq(
      arr(body.mentions)
        .map((m) => String(m.acct ?? m.username ?? ""))
        .filter((m) => m !== ""),
    ),
    urls: uniq(links.map((l) => l.href)),
    cashtags: extractEntities(text).cashtags.map((c) => c.tag),
    isRetweet: reblog !== undefined,
    isReply: typeof s.in_reply_to_id === "string",
  };
  if (reblog) post.retweetOfId = reqStr(reblog, "id", "status.reblog");
  if (typeof s.in_reply_to_id === "string") post.inReplyToId = s.in_reply_to_id;
  if (typeof s.in_reply_to_account_id === "string") post.inReplyToUserId = s.in_reply_to_account_id;
  if (isObj(s.application) && typeof s.application.name === "string") post.client = s.application.name;
  if (optNum(s, "reblogs_count") !== undefined) post.retweetCount = optNum(s, "reblogs_count");
  const media = arr(body.media_attachments)
    .filter((m) => typeof m.url === "string")
    .map((m) => ({ url: m.url as string, ...(typeof m.remote_url === "string" ? { expandedUrl: m.remote_url } : {}) }));
  if (media.length > 0) post.media = media;
  return withRaw(post, status, opts);
}

// ------------------------------------------------------------------ detection

export type PayloadKind = "twitter-v2" | "twitter-v1" | "jetstream" | "mastodon";

/** Which parser a JSON value belongs to, or undefined. */
export function detectKind(x: unknown): PayloadKind | undefined {
  if (!isObj(x)) return undefined;
  if (isObj(x.data) || (Array.isArray(x.errors) && !("user" in x))) return "twitter-v2";
  if (typeof x.did === "string" && "time_us" in x && "kind" in x) return "jetstream";
  if (isObj(x.account) && ("content" in x || "reblog" in x)) return "mastodon";
  if (("id_str" in x || "id" in x) && (isObj(x.user) || isObj(x.delete) || isObj(x.limit))) return "twitter-v1";
  return undefined;
}

/** Parses any supported payload (an object, a JSON string or its UTF-8 bytes). */
export function parsePost(input: unknown, opts: ParseOptions = {}): Post {
  let x = input;
  if (typeof x === "string" || Buffer.isBuffer(x)) {
    try {
      x = JSON.parse(typeof x === "string" ? x : x.toString("utf8"));
    } catch (err) {
      throw socialInvalid(`not JSON: ${(err as Error).message}`, err);
    }
  }
  switch (detectKind(x)) {
    case "twitter-v2":
      return fromTwitterV2(x, opts);
    case "twitter-v1":
      return fromTwitterV1(x, opts);
    case "jetstream":
      return fromJetstream(x, opts);
    case "mastodon":
      return fromMastodon(x, opts);
    default:
      throw socialInvalid("not a recognised post payload (Twitter v1.1/v2, Jetstream, Mastodon)");
  }
}
