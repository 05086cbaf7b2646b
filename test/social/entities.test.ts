import { test } from "node:test";
import assert from "node:assert/strict";
import twitter from "twitter-text";
import { extractEntities, hashtagKey, cashtagKey, mentionKey } from "../../src/social/entities.js";
import { generateCorpus } from "../../src/social/generator.js";

/** twitter-text's own answer, with UTF-16 indices turned into code points independently of the code under test. */
function reference(text: string) {
  const cp = (i: number) => Array.from(text.slice(0, i)).length;
  const span = (e: { indices: [number, number] }) => ({ start: cp(e.indices[0]), end: cp(e.indices[1]) });
  return {
    hashtags: twitter.extractHashtagsWithIndices(text).map((h) => ({ ...span(h), tag: h.hashtag })),
    mentions: twitter.extractMentionsWithIndices(text).map((m) => ({ ...span(m), username: m.screenName })),
    urls: twitter.extractUrlsWithIndices(text).map((u) => ({ ...span(u), url: u.url })),
    cashtags: twitter.extractCashtagsWithIndices(text).map((c) => ({ ...span(c), tag: c.cashtag })),
  };
}

const sortByStart = <T extends { start: number }>(xs: T[]) => [...xs].sort((a, b) => a.start - b.start);

test("entities: hand-written edge cases", () => {
  const cases: [string, ReturnType<typeof extractEntities>][] = [
    [
      "#日本語 と #café",
      {
        hashtags: [
          { start: 0, end: 4, tag: "日本語" },
          { start: 7, end: 12, tag: "café" },
        ],
        mentions: [],
        urls: [],
        cashtags: [],
      },
    ],
    // combining accent (e + U+0301) stays inside the hashtag; indices count both code points
    ["#cafe\u0301 ok", { hashtags: [{ start: 0, end: 6, tag: "cafe\u0301" }], mentions: [], urls: [], cashtags: [] }],
    [
      "see example.com/x and www.example.org",
      {
        hashtags: [],
        mentions: [],
        urls: [
          { start: 4, end: 17, url: "example.com/x" },
          { start: 22, end: 37, url: "www.example.org" },
        ],
        cashtags: [],
      },
    ],
    [
      "$TSLA up, $aapl.b down, $100 not a tag",
      {
        hashtags: [],
        mentions: [],
        urls: [],
        cashtags: [
          { start: 0, end: 5, tag: "TSLA" },
          { start: 10, end: 17, tag: "aapl.b" },
        ],
      },
    ],
    [
      "hi @under_score_ and @x_1!",
      {
        hashtags: [],
        mentions: [
          { start: 3, end: 16, username: "under_score_" },
          { start: 21, end: 25, username: "x_1" },
        ],
        urls: [],
        cashtags: [],
      },
    ],
    [
      "😀😀 #emoji👍 @a 🇯🇵 https://t.co/abc",
      {
        hashtags: [{ start: 3, end: 9, tag: "emoji" }],
        mentions: [{ start: 11, end: 13, username: "a" }],
        urls: [{ start: 17, end: 33, url: "https://t.co/abc" }],
        cashtags: [],
      },
    ],
    [
      "#123 is not a hashtag, #1a is; email a@b.com is no mention",
      { hashtags: [{ start: 23, end: 26, tag: "1a" }], mentions: [], urls: [], cashtags: [] },
    ],
    ["@list/members is a list, not a mention", { hashtags: [], mentions: [], urls: [], cashtags: [] }],
  ];
  for (const [text, want] of cases) {
    assert.deepEqual(extractEntities(text), want, text);
    const ref = reference(text);
    const got = extractEntities(text);
    // Agreement with the library on everything but lists (which we drop on purpose).
    assert.deepEqual(got.hashtags, ref.hashtags, text);
    assert.deepEqual(got.urls, ref.urls, text);
    assert.deepEqual(got.cashtags, ref.cashtags, text);
  }
});

test("entities: counting keys", () => {
  assert.equal(hashtagKey("#Café"), "café");
  assert.equal(hashtagKey("cafe\u0301"), "café"); // NFC
  assert.equal(hashtagKey("CAFÉ"), hashtagKey("café"));
  assert.equal(cashtagKey("$tsla"), "TSLA");
  assert.equal(mentionKey("@Under_Score"), "under_score");
});

test(
  "entities: generator's v2 entities == extractEntities " + "== twitter-text on every tweet of a 5,000-tweet corpus",
  () => {
    let n = 0;
    let nonAscii = 0;
    let astral = 0;
    let total = 0;
    for (const p of generateCorpus({ seed: 7, count: 5000, startMs: Date.UTC(2025, 2, 1) })) {
      const text = p.data.text;
      const e = p.data.entities ?? {};
      const fromGen = {
        hashtags: (e.hashtags ?? []).map(({ start, end, tag }) => ({ start, end, tag })),
        mentions: (e.mentions ?? []).map(({ start, end, username }) => ({ start, end, username })),
        urls: (e.urls ?? []).map(({ start, end, url }) => ({ start, end, url })),
        cashtags: (e.cashtags ?? []).map(({ start, end, tag }) => ({ start, end, tag })),
      };
      const ours = extractEntities(text);
      const ref = reference(text);
      assert.deepEqual(ours, fromGen, `tweet ${p.data.id}: ${text}`);
      assert.deepEqual({ ...ref, mentions: sortByStart(ref.mentions) }, fromGen, `tweet ${p.data.id}: ${text}`);
      for (const h of fromGen.hashtags) {
        // the index slice of the text is the hashtag itself
        assert.equal(Array.from(text).slice(h.start, h.end).join(""), "#" + h.tag);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: \x00-\x7f is ASCII; this counts non-ASCII tags
        if (/[^\x00-\x7f]/.test(h.tag)) nonAscii++;
      }
      if (/[\u{10000}-\u{10ffff}]/u.test(text)) astral++;
      total += fromGen.hashtags.length + fromGen.mentions.length + fromGen.urls.length + fromGen.cashtags.length;
      n++;
    }
    assert.equal(n, 5000);
    assert.ok(total > 5000, `entities checked: ${total}`);
    assert.ok(nonAscii > 0, "the corpus has unicode hashtags");
    assert.ok(astral > 500, "the corpus has astral-plane emoji (code point vs UTF-16 indices)");
  },
);
