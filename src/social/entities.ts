/**
 * Hashtags, mentions, URLs and cashtags, extracted with the twitter-text library
 * (Twitter's own reference implementation of the rules). Indices are in Unicode
 * code points, [start, end), as the Twitter API v2 reports them; twitter-text
 * computes UTF-16 indices, converted here with its own convertUnicodeIndices.
 */
import twitter from "twitter-text";

export interface HashtagEntity {
  start: number;
  end: number;
  tag: string;
}
export interface MentionEntity {
  start: number;
  end: number;
  username: string;
}
export interface UrlEntity {
  start: number;
  end: number;
  url: string;
}
export interface CashtagEntity {
  start: number;
  end: number;
  tag: string;
}

export interface Entities {
  hashtags: HashtagEntity[];
  mentions: MentionEntity[];
  urls: UrlEntity[];
  cashtags: CashtagEntity[];
}

type TTEntity = {
  indices: [number, number];
  hashtag?: string;
  screenName?: string;
  listSlug?: string;
  url?: string;
  cashtag?: string;
};

/** All four kinds in one pass (overlaps resolved the way twitter-text does). */
export function extractEntities(text: string): Entities {
  const found = twitter.extractEntitiesWithIndices(text) as TTEntity[];
  // third argument true: the indices are UTF-16 and become code points
  twitter.convertUnicodeIndices(text, found as Parameters<typeof twitter.convertUnicodeIndices>[1], true);
  const out: Entities = { hashtags: [], mentions: [], urls: [], cashtags: [] };
  for (const e of found) {
    const [start, end] = e.indices;
    if (e.hashtag !== undefined) out.hashtags.push({ start, end, tag: e.hashtag });
    else if (e.screenName !== undefined) {
      // "@user/list" is a list reference, not a mention of a user.
      if (!e.listSlug) out.mentions.push({ start, end, username: e.screenName });
    } else if (e.url !== undefined) out.urls.push({ start, end, url: e.url });
    else if (e.cashtag !== undefined) out.cashtags.push({ start, end, tag: e.cashtag });
  }
  return out;
}

export function extractHashtags(text: string): string[] {
  return twitter.extractHashtags(text);
}
export function extractMentions(text: string): string[] {
  return twitter.extractMentions(text);
}
export function extractUrls(text: string): string[] {
  return twitter.extractUrls(text);
}
export function extractCashtags(text: string): string[] {
  return twitter.extractCashtags(text);
}

/**
 * The key a hashtag is counted under: NFC-normalised and lower-cased, so #Café,
 * #café and #CAFÉ (composed or not) are one trend. Display keeps the original.
 */
export function hashtagKey(tag: string): string {
  return tag
    .replace(/^[#＃]/, "")
    .normalize("NFC")
    .toLowerCase();
}

/** Cashtags are counted upper-case ($tsla and $TSLA are one symbol). */
export function cashtagKey(tag: string): string {
  return tag.replace(/^\$/, "").toUpperCase();
}

/** Mentions are case-insensitive handles. */
export function mentionKey(username: string): string {
  return username.replace(/^[@＠]/, "").toLowerCase();
}
