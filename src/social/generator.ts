/**
 * The synthetic tweet generator: Twitter API v2 filtered-stream payloads
 * ({data, includes}) that look like the real stream — authors with follower
 * counts, several languages, mentions, t.co links with expanded URLs, $cashtags,
 * emoji, retweets ("RT @user: ...") and replies — with hashtags drawn from a Zipf
 * distribution whose ranking is disturbed by trends that rise and fade over
 * (simulated) time.
 *
 * Deterministic: all randomness comes from a seeded PRNG, and time only from the
 * virtual clock passed to `next(nowMs)`, so a seed and a sequence of times give
 * the same corpus byte for byte. Trend bursts are drawn per time epoch from
 * hash(seed, epoch), so they do not depend on how many tweets came before.
 * Entity indices are Unicode code points, [start, end), computed while the text
 * is built; the tests check them against twitter-text on whole corpora.
 */
import { Rng, hash32, sampleCumulative } from "./prng.js";

export interface V2User {
  id: string;
  name: string;
  username: string;
  created_at: string;
  description: string;
  location?: string;
  verified: boolean;
  public_metrics: { followers_count: number; following_count: number; tweet_count: number; listed_count: number };
}

export interface V2Entities {
  hashtags?: { start: number; end: number; tag: string }[];
  mentions?: { start: number; end: number; username: string; id: string }[];
  urls?: { start: number; end: number; url: string; expanded_url: string; display_url: string }[];
  cashtags?: { start: number; end: number; tag: string }[];
}

export interface V2Tweet {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  lang: string;
  conversation_id: string;
  edit_history_tweet_ids: string[];
  entities?: V2Entities;
  referenced_tweets?: { type: "retweeted" | "replied_to" | "quoted"; id: string }[];
  in_reply_to_user_id?: string;
  public_metrics: { retweet_count: number; reply_count: number; like_count: number; quote_count: number };
}

export interface V2Payload {
  data: V2Tweet;
  includes: { users: V2User[]; tweets?: V2Tweet[] };
}

export interface GeneratorOptions {
  seed: number;
  /** size of the author pool (default 2000) */
  users?: number;
  /** Zipf exponent of hashtag popularity (default 1.1) */
  zipfExponent?: number;
  /** a new trend starts every this many ms of virtual time (default 15 min) */
  trendEveryMs?: number;
  /** how long a trend takes to rise (default 20 min); it then fades with the same time constant */
  trendRiseMs?: number;
  /** probabilities of a retweet and a reply (defaults 0.22 and 0.15) */
  retweetRate?: number;
  replyRate?: number;
}

type Lang = "en" | "es" | "fr" | "de" | "ja" | "pt";
const LANGS: Lang[] = ["en", "es", "fr", "de", "ja", "pt"];
const LANG_WEIGHTS = [50, 15, 8, 7, 10, 10];

const WORDS: Record<Lang, string[]> = {
  en: (
    "the a this that my your our is was are be just so really very new great good bad love hate " +
    "today tonight game team city music show live news update time people world work coffee " +
    "weekend morning night friends big small best worst happy sad finally again never always think " +
    "know want need watch read play win lose going"
  ).split(" "),
  es: (
    "el la los las un una es muy pero que de en con para hoy noche partido equipo ciudad música " +
    "nuevo gran bueno malo amor vida tiempo gente mundo trabajo café amigos fin semana feliz " +
    "triste siempre nunca quiero necesito ganar perder está"
  ).split(" "),
  fr: (
    "le la les un une est très mais que de en avec pour aujourd'hui soir match équipe ville " +
    "musique nouveau grand bon mauvais amour vie temps gens monde travail café amis week-end " +
    "heureux triste toujours jamais veux besoin gagner perdre c'est"
  ).split(" "),
  de: (
    "der die das ein eine ist sehr aber dass und mit für heute Abend Spiel Mannschaft Stadt Musik " +
    "neu groß gut schlecht Liebe Leben Zeit Leute Welt Arbeit Kaffee Freunde Wochenende glücklich " +
    "traurig immer nie will brauche gewinnen verlieren endlich"
  ).split(" "),
  ja: "今日 は とても 楽しい です 新しい 音楽 試合 チーム 東京 大阪 仕事 週末 コーヒー 友達 最高 本当に ありがとう 明日 また 見て ください ニュース 映画 ゲーム 天気 朝 夜 好き 嬉しい".split(
    " ",
  ),
  pt: (
    "o a os as um uma é muito mas que de em com para hoje noite jogo time cidade música novo " +
    "grande bom ruim amor vida tempo gente mundo trabalho café amigos fim semana feliz triste " +
    "sempre nunca quero preciso ganhar perder está"
  ).split(" "),
};

const EMOJI = ["😀", "😂", "🔥", "🎉", "👍", "🚀", "⚽", "🙏", "✨", "💯", "❤️", "👀", "🤔", "📈", "🌍", "👨‍💻"];
const ROOTS = [
  "World",
  "Tech",
  "Music",
  "Art",
  "Data",
  "Cloud",
  "Game",
  "Film",
  "Book",
  "Food",
  "Travel",
  "Photo",
  "Crypto",
  "Climate",
  "Vote",
  "Football",
  "Science",
  "Space",
  "Health",
  "Fashion",
  "Jazz",
  "Anime",
  "Coffee",
  "Design",
];
const SUFFIXES = ["", "Monday", "News", "Life", "Day", "2025", "Lovers", "Talk", "Week", "Fest", "Live"];
const UNICODE_TAGS = [
  "café",
  "fútbol",
  "München",
  "東京",
  "日本語",
  "ラーメン",
  "ação",
  "niño",
  "Zürich",
  "Ελλάδα",
  "São_Paulo",
  "naïve",
  "crème_brûlée",
  "F1",
  "K_pop",
];
const CASHTAGS = ["AAPL", "TSLA", "MSFT", "AMZN", "BTC", "ETH", "NVDA", "GOOG", "META", "SPY"];
const DOMAINS = [
  "example.com",
  "news.example.org",
  "blog.example.net",
  "shop.example.co.uk",
  "video.example.io",
  "example.edu",
];
const FIRST = [
  "Ana",
  "Ben",
  "Chloé",
  "David",
  "Emma",
  "Felix",
  "Grace",
  "Hiro",
  "Inès",
  "João",
  "Kai",
  "Lena",
  "Marco",
  "Noor",
  "Olga",
  "Pedro",
  "Quinn",
  "Rosa",
  "Sven",
  "Yuki",
  "Zoe",
  "Lucía",
  "Mateo",
  "Sakura",
];
const LAST = [
  "Smith",
  "García",
  "Müller",
  "Dubois",
  "Silva",
  "Tanaka",
  "Rossi",
  "Kowalski",
  "Nguyen",
  "Brown",
  "López",
  "Schmidt",
  "Martin",
  "Santos",
  "Sato",
  "Costa",
];
const SYLL = [
  "ka",
  "ri",
  "to",
  "mo",
  "la",
  "ne",
  "su",
  "bi",
  "zo",
  "ra",
  "xe",
  "lu",
  "pa",
  "ti",
  "do",
  "mi",
  "fa",
  "go",
  "ve",
  "yu",
];
const PLACES = [
  "Madrid",
  "Paris",
  "Berlin",
  "Tokyo",
  "São Paulo",
  "London",
  "New York",
  "Lisboa",
  "Osaka",
  "Lyon",
  "Hamburg",
  "Buenos Aires",
  "",
];
const BIOS = [
  "coffee, code and cats",
  "música y fútbol",
  "photographer 📷",
  "opinions are my own",
  "data nerd",
  "voyageur",
  "Ingenieurin",
  "エンジニア",
  "jornalista",
  "",
];
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const TWITTER_EPOCH = 1288834974657n;

interface User extends V2User {
  lang: Lang;
}

/** One token of text under construction; entity tokens carry what their entity needs. */
type Token =
  | { kind: "word"; text: string }
  | { kind: "hashtag"; text: string; tag: string }
  | { kind: "mention"; text: string; user: User }
  | { kind: "url"; text: string; expanded: string; display: string }
  | { kind: "cashtag"; text: string; tag: string }
  | { kind: "emoji"; text: string };

function cpLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function allTags(): string[] {
  const tags: string[] = [];
  for (const r of ROOTS) for (const s of SUFFIXES) tags.push(r + s);
  return tags.concat(UNICODE_TAGS);
}

export class TweetGenerator {
  private readonly rng: Rng;
  private readonly seed: number;
  private readonly users: User[];
  private readonly userCum: Float64Array;
  private readonly byLang = new Map<Lang, number[]>();
  private readonly tags: string[];
  private readonly baseWeight: Float64Array;
  private readonly trendEveryMs: number;
  private readonly trendRiseMs: number;
  private readonly retweetRate: number;
  private readonly replyRate: number;
  private cumBucket = Number.NaN;
  private cum: Float64Array = new Float64Array(0);
  private readonly recent: V2Payload[] = [];
  private lastId = 0n;
  private lastMs = -1;
  private seq = 0;

  constructor(opts: GeneratorOptions) {
    this.seed = opts.seed >>> 0;
    this.rng = new Rng(hash32(this.seed, 1));
    this.trendEveryMs = opts.trendEveryMs ?? 15 * 60_000;
    this.trendRiseMs = opts.trendRiseMs ?? 20 * 60_000;
    this.retweetRate = opts.retweetRate ?? 0.22;
    this.replyRate = opts.replyRate ?? 0.15;
    const urng = new Rng(hash32(this.seed, 2));
    const n = opts.users ?? 2000;
    const taken = new Set<string>();
    this.users = [];
    const langCum = new Float64Array(LANG_WEIGHTS.length);
    LANG_WEIGHTS.reduce((a, w, i) => (langCum[i] = a + w), 0);
    for (let i = 0; i < n; i++) {
      let handle = "";
      const parts = urng.range(2, 4);
      for (let p = 0; p < parts; p++) handle += urng.pick(SYLL);
      if (urng.chance(0.3)) handle += "_";
      if (urng.chance(0.5)) handle += String(urng.int(1000));
      if (urng.chance(0.3)) handle = handle[0].toUpperCase() + handle.slice(1);
      handle = handle.slice(0, 15);
      while (taken.has(handle.toLowerCase())) handle = (handle.slice(0, 12) + "_" + String(urng.int(100))).slice(0, 15);
      taken.add(handle.toLowerCase());
      const followers = Math.floor(Math.exp(4 + 2.2 * urng.normal()));
      const lang = LANGS[sampleCumulative(langCum, urng.next())];
      const created = Date.UTC(2008, 0, 1) + urng.int(16 * 365) * 86_400_000 + urng.int(86_400_000);
      const place = urng.pick(PLACES);
      const u: User = {
        id: String(
          ((BigInt(urng.int(1 << 30)) * 1000000000n + BigInt(urng.int(1_000_000_000))) % 1600000000000000000n) + 10000n,
        ),
        name: `${urng.pick(FIRST)} ${urng.pick(LAST)}`,
        username: handle,
        created_at: new Date(created).toISOString(),
        description: urng.pick(BIOS),
        ...(place ? { location: place } : {}),
        verified: false,
        public_metrics: {
          followers_count: followers,
          following_count: Math.floor(Math.exp(5 + urng.normal())),
          tweet_count: Math.floor(Math.exp(7 + 1.5 * urng.normal())),
          listed_count: Math.floor(followers / 200),
        },
        lang,
      };
      this.users.push(u);
      const l = this.byLang.get(lang) ?? [];
      l.push(i);
      this.byLang.set(lang, l);
    }
    // A few authors post a lot: activity ~ 1/(rank+5)^0.9.
    this.userCum = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) this.userCum[i] = acc += 1 / (i + 5) ** 0.9;
    // Hashtag popularity: a seeded ranking, Zipf weights by rank.
    this.tags = urng.shuffle(allTags());
    const s = opts.zipfExponent ?? 1.1;
    this.baseWeight = new Float64Array(this.tags.length);
    for (let i = 0; i < this.tags.length; i++) this.baseWeight[i] = 1 / (i + 1) ** s;
  }

  /** The hashtag list in base popularity order (rank 0 first). */
  get hashtagRanking(): readonly string[] {
    return this.tags;
  }

  /** The trend that starts in an epoch: which tag, when, how strong. Pure function of (seed, epoch). */
  trendOf(epoch: number): { tag: string; startMs: number; amplitude: number } {
    const r = new Rng(hash32(this.seed ^ 0x5bd1e995, epoch | 0));
    const idx = 5 + r.int(this.tags.length - 5);
    return {
      tag: this.tags[idx],
      startMs: epoch * this.trendEveryMs + r.int(this.trendEveryMs),
      amplitude: 0.5 + 2 * r.next(),
    };
  }

  private tagIndex(tag: string): number {
    return this.tags.indexOf(tag);
  }

  /** Tag weights at a time: base Zipf plus live trends (rise linearly, then decay exponentially). */
  weightsAt(nowMs: number): Float64Array {
    const w = Float64Array.from(this.baseWeight);
    const rise = this.trendRiseMs;
    const span = rise * 6;
    const first = Math.floor((nowMs - span) / this.trendEveryMs);
    const last = Math.floor(nowMs / this.trendEveryMs);
    for (let e = first; e <= last; e++) {
      const t = this.trendOf(e);
      const dt = nowMs - t.startMs;
      if (dt < 0 || dt > span) continue;
      const f = dt < rise ? dt / rise : Math.exp(-(dt - rise) / rise);
      w[this.tagIndex(t.tag)] += t.amplitude * this.baseWeight[0] * f;
    }
    return w;
  }

  private cumAt(nowMs: number): Float64Array {
    const bucket = Math.floor(nowMs / 60_000);
    if (bucket !== this.cumBucket) {
      const w = this.weightsAt(bucket * 60_000);
      const cum = new Float64Array(w.length);
      let acc = 0;
      for (let i = 0; i < w.length; i++) cum[i] = acc += w[i];
      this.cum = cum;
      this.cumBucket = bucket;
    }
    return this.cum;
  }

  private nextId(nowMs: number): string {
    if (nowMs === this.lastMs) this.seq = (this.seq + 1) & 0xfff;
    else {
      this.seq = 0;
      this.lastMs = nowMs;
    }
    let id =
      ((BigInt(Math.floor(nowMs)) - TWITTER_EPOCH) << 22n) |
      (BigInt(hash32(this.seed) & 0x3ff) << 12n) |
      BigInt(this.seq);
    if (id <= this.lastId) id = this.lastId + 1n;
    this.lastId = id;
    return id.toString();
  }

  private pickAuthor(): User {
    return this.users[sampleCumulative(this.userCum, this.rng.next())];
  }

  private pickUserOfLang(lang: Lang): User {
    const l = this.byLang.get(lang);
    return l && l.length > 0 && this.rng.chance(0.8)
      ? this.users[this.rng.pick(l)]
      : this.users[this.rng.int(this.users.length)];
  }

  private tco(): string {
    let s = "https://t.co/";
    for (let i = 0; i < 10; i++) s += ALNUM[this.rng.int(ALNUM.length)];
    return s;
  }

  /** The words and entities of a body in `lang`. */
  private bodyTokens(lang: Lang, nowMs: number, exclude: User): Token[] {
    const r = this.rng;
    const words: Token[] = [];
    const nWords = r.range(lang === "ja" ? 3 : 4, lang === "ja" ? 8 : 14);
    const vocab = WORDS[lang];
    for (let i = 0; i < nWords; i++) words.push({ kind: "word", text: r.pick(vocab) });
    if (lang === "ja") {
      // Japanese runs without spaces: two runs of words, split at a word boundary.
      const half = Math.ceil(words.length / 2);
      const runs = [words.slice(0, half), words.slice(half)].filter((x) => x.length > 0);
      words.splice(
        0,
        words.length,
        ...runs.map((run): Token => ({ kind: "word", text: run.map((w) => w.text).join("") })),
      );
    }
    const extra: Token[] = [];
    const nTags = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3][r.int(10)];
    const cum = this.cumAt(nowMs);
    const chosen = new Set<string>();
    for (let i = 0; i < nTags * 3 && chosen.size < nTags; i++) {
      const tag = this.tags[sampleCumulative(cum, r.next())];
      if (!chosen.has(tag.toLowerCase())) {
        chosen.add(tag.toLowerCase());
        extra.push({ kind: "hashtag", text: "#" + tag, tag });
      }
    }
    const nMentions = r.chance(0.2) ? r.range(1, 2) : 0;
    for (let i = 0; i < nMentions; i++) {
      const u = this.pickUserOfLang(lang);
      if (u !== exclude) extra.push({ kind: "mention", text: "@" + u.username, user: u });
    }
    if (r.chance(0.25)) {
      const domain = r.pick(DOMAINS);
      let path = "";
      const segs = r.range(1, 3);
      for (let i = 0; i < segs; i++)
        path += (i ? "/" : "") + r.pick(WORDS.en).replace(/[^a-z]/g, "") + (r.chance(0.5) ? String(r.int(10000)) : "");
      const expanded = `https://${domain}/${path}`;
      const shown = `${domain}/${path}`;
      extra.push({
        kind: "url",
        text: this.tco(),
        expanded,
        display: shown.length > 26 ? shown.slice(0, 26) + "…" : shown,
      });
    }
    if (r.chance(lang === "en" ? 0.08 : 0.02)) {
      const t = r.pick(CASHTAGS);
      extra.push({ kind: "cashtag", text: "$" + t, tag: t });
    }
    if (r.chance(0.35)) extra.push({ kind: "emoji", text: r.pick(EMOJI) });
    // Hashtags and links mostly at the end, the rest anywhere.
    const tokens = words;
    for (const t of extra) {
      if ((t.kind === "hashtag" || t.kind === "url") && r.chance(0.6)) tokens.push(t);
      else tokens.splice(r.int(tokens.length + 1), 0, t);
    }
    return tokens;
  }

  /** Joins tokens with spaces and computes the v2 entities (code-point indices). */
  private render(prefix: Token[], tokens: Token[], lang: Lang): { text: string; entities: V2Entities } {
    const all = prefix.concat(tokens);
    const ents: Required<V2Entities> = { hashtags: [], mentions: [], urls: [], cashtags: [] };
    let text = "";
    let pos = 0;
    for (let i = 0; i < all.length; i++) {
      const t = all[i];
      if (i > 0) {
        text += " ";
        pos += 1;
      }
      const start = pos;
      const end = pos + cpLen(t.text);
      if (t.kind === "hashtag") ents.hashtags.push({ start, end, tag: t.tag });
      else if (t.kind === "mention") ents.mentions.push({ start, end, username: t.user.username, id: t.user.id });
      else if (t.kind === "url")
        ents.urls.push({ start, end, url: t.text, expanded_url: t.expanded, display_url: t.display });
      else if (t.kind === "cashtag") ents.cashtags.push({ start, end, tag: t.tag });
      text += t.text;
      pos = end;
      if (t.kind === "word" && i === all.length - 1) {
        const p = lang === "ja" ? "。" : this.rng.pick([".", "!", "?", "", ""]);
        text += p;
        pos += cpLen(p);
      }
    }
    const out: V2Entities = {};
    if (ents.hashtags.length) out.hashtags = ents.hashtags;
    if (ents.mentions.length) out.mentions = ents.mentions;
    if (ents.urls.length) out.urls = ents.urls;
    if (ents.cashtags.length) out.cashtags = ents.cashtags;
    return { text, entities: out };
  }

  private metrics(followers: number): V2Tweet["public_metrics"] {
    const r = this.rng;
    const reach = Math.log10(followers + 10);
    const like = Math.floor(Math.exp(reach * r.next() * 2) - 1);
    return {
      retweet_count: Math.floor(like * r.next() * 0.3),
      reply_count: Math.floor(like * r.next() * 0.1),
      like_count: like,
      quote_count: Math.floor(like * r.next() * 0.05),
    };
  }

  private userOut(u: User): V2User {
    const { lang: _lang, ...rest } = u;
    return rest;
  }

  /** The next tweet, created at `nowMs` (the virtual clock). */
  next(nowMs: number): V2Payload {
    const r = this.rng;
    const id = this.nextId(nowMs);
    const created_at = new Date(nowMs).toISOString();
    const roll = r.next();
    const source = this.recent.length > 0 ? this.recent[r.int(this.recent.length)] : undefined;
    let payload: V2Payload;
    if (source && roll < this.retweetRate) {
      // Retweet: "RT @author: " + the original text, entities shifted.
      const orig = source.data.referenced_tweets?.some((x) => x.type === "retweeted")
        ? source.includes.tweets![0]
        : source.data;
      const origAuthor = this.users.find((u) => u.id === orig.author_id)!;
      let author = this.pickAuthor();
      if (author === origAuthor) author = this.users[(this.users.indexOf(author) + 1) % this.users.length];
      const prefix = `RT @${origAuthor.username}: `;
      const shift = cpLen(prefix);
      const e = orig.entities ?? {};
      const entities: V2Entities = {};
      if (e.hashtags) entities.hashtags = e.hashtags.map((h) => ({ ...h, start: h.start + shift, end: h.end + shift }));
      entities.mentions = [
        { start: 3, end: 4 + cpLen(origAuthor.username), username: origAuthor.username, id: origAuthor.id },
        ...(e.mentions ?? []).map((m) => ({ ...m, start: m.start + shift, end: m.end + shift })),
      ];
      if (e.urls) entities.urls = e.urls.map((u) => ({ ...u, start: u.start + shift, end: u.end + shift }));
      if (e.cashtags) entities.cashtags = e.cashtags.map((c) => ({ ...c, start: c.start + shift, end: c.end + shift }));
      const users = new Map<string, V2User>([
        [author.id, this.userOut(author)],
        [origAuthor.id, this.userOut(origAuthor)],
      ]);
      for (const m of entities.mentions)
        if (!users.has(m.id)) users.set(m.id, this.userOut(this.users.find((u) => u.id === m.id)!));
      payload = {
        data: {
          id,
          text: prefix + orig.text,
          author_id: author.id,
          created_at,
          lang: orig.lang,
          conversation_id: id,
          edit_history_tweet_ids: [id],
          entities,
          referenced_tweets: [{ type: "retweeted", id: orig.id }],
          public_metrics: { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0 },
        },
        includes: { users: [...users.values()], tweets: [orig] },
      };
    } else {
      const author = this.pickAuthor();
      const lang = r.chance(0.9) ? author.lang : r.pick(LANGS);
      const replyTo =
        source && roll < this.retweetRate + this.replyRate
          ? source.data.referenced_tweets?.some((x) => x.type === "retweeted")
            ? undefined
            : source.data
          : undefined;
      const replyAuthor = replyTo ? this.users.find((u) => u.id === replyTo.author_id) : undefined;
      const prefix: Token[] =
        replyAuthor && replyAuthor !== author
          ? [{ kind: "mention", text: "@" + replyAuthor.username, user: replyAuthor }]
          : [];
      const { text, entities } = this.render(prefix, this.bodyTokens(lang, nowMs, author), lang);
      const users = new Map<string, V2User>([[author.id, this.userOut(author)]]);
      for (const m of entities.mentions ?? [])
        if (!users.has(m.id)) users.set(m.id, this.userOut(this.users.find((u) => u.id === m.id)!));
      const data: V2Tweet = {
        id,
        text,
        author_id: author.id,
        created_at,
        lang,
        conversation_id: replyTo && prefix.length ? replyTo.conversation_id : id,
        edit_history_tweet_ids: [id],
        ...(Object.keys(entities).length ? { entities } : {}),
        public_metrics: this.metrics(author.public_metrics.followers_count),
      };
      if (replyTo && replyAuthor && prefix.length) {
        data.referenced_tweets = [{ type: "replied_to", id: replyTo.id }];
        data.in_reply_to_user_id = replyAuthor.id;
      }
      payload = { data, includes: { users: [...users.values()] } };
    }
    this.recent.push(payload);
    if (this.recent.length > 500) this.recent.shift();
    return payload;
  }
}

export interface CorpusOptions extends GeneratorOptions {
  count: number;
  /** virtual start time (ms since the epoch) */
  startMs: number;
  /** mean tweets per virtual second (default 20); inter-arrival times are exponential */
  ratePerSec?: number;
}

/** A whole corpus on a virtual clock: the same options give the same tweets. */
export function* generateCorpus(opts: CorpusOptions): Generator<V2Payload> {
  const gen = new TweetGenerator(opts);
  const clock = new Rng(hash32(opts.seed >>> 0, 3));
  const mean = 1000 / (opts.ratePerSec ?? 20);
  let t = opts.startMs;
  for (let i = 0; i < opts.count; i++) {
    yield gen.next(Math.floor(t));
    t += clock.exp(mean);
  }
}
