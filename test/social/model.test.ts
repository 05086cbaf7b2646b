import { test } from "node:test";
import assert from "node:assert/strict";
import {
  fromJetstream,
  fromMastodon,
  fromTwitterV1,
  fromTwitterV2,
  parsePost,
  snowflakeTime,
} from "../../src/social/model.js";
import { htmlToText } from "../../src/social/html.js";
import { guessLang, postLang } from "../../src/social/lang.js";
import { scorePost, scoreText } from "../../src/social/sentiment.js";

// Shaped like the real APIs' documented examples (values invented).
const V2 = {
  data: {
    id: "1445880548472328192",
    text: "Loving the new #DevTools release 🎉 @TwitterDev https://t.co/abc123XYZ0",
    author_id: "2244994945",
    created_at: "2021-10-06T23:48:01.000Z",
    lang: "en",
    conversation_id: "1445880548472328192",
    source: "Twitter Web App",
    attachments: { media_keys: ["3_1"] },
    entities: {
      hashtags: [{ start: 15, end: 24, tag: "DevTools" }],
      mentions: [{ start: 35, end: 46, username: "TwitterDev", id: "2244994945" }],
      urls: [
        {
          start: 47,
          end: 70,
          url: "https://t.co/abc123XYZ0",
          expanded_url: "https://twitter.com/x/status/1/photo/1",
          display_url: "pic.twitter.com/abc",
          media_key: "3_1",
        },
      ],
    },
    referenced_tweets: [{ type: "replied_to", id: "1445880000000000000" }],
    in_reply_to_user_id: "783214",
    public_metrics: { retweet_count: 7, reply_count: 1, like_count: 30, quote_count: 0 },
  },
  includes: {
    users: [
      {
        id: "2244994945",
        name: "Twitter Dev",
        username: "TwitterDev",
        location: "127.0.0.1",
        description: "The voice of the X Dev team",
        public_metrics: { followers_count: 513000, following_count: 2000, tweet_count: 3800, listed_count: 1700 },
      },
    ],
    media: [{ media_key: "3_1", type: "photo", url: "https://pbs.twimg.com/media/abc.jpg" }],
  },
  matching_rules: [{ id: "1", tag: "devtools" }],
};

const V1 = {
  created_at: "Wed Oct 10 20:19:24 +0000 2018",
  // biome-ignore lint/correctness/noPrecisionLoss: v1 JSON carries the id as a lossy number; id_str holds it exactly
  id: 1050118621198921728,
  id_str: "1050118621198921728",
  text: "To make room for more expression, we will now count all emojis as equal… https://t.co/MkGjXf9aXm",
  truncated: true,
  source: '<a href="http://twitter.com" rel="nofollow">Twitter Web Client</a>',
  in_reply_to_status_id: null,
  in_reply_to_status_id_str: null,
  in_reply_to_user_id_str: null,
  user: {
    id: 6253282,
    id_str: "6253282",
    name: "Twitter API",
    screen_name: "TwitterAPI",
    location: "San Francisco, CA",
    description: "The Real Twitter API.",
    followers_count: 6133636,
    friends_count: 12,
    statuses_count: 3656,
  },
  entities: { hashtags: [], urls: [], user_mentions: [], symbols: [] },
  extended_tweet: {
    full_text:
      "To make room for more expression, we will now count all emojis as equal—including those with " +
      "gender‍‍ and skin t… #emoji $TWTR @jack https://t.co/MkGjXf9aXm",
    entities: {
      hashtags: [{ text: "emoji", indices: [114, 120] }],
      user_mentions: [{ screen_name: "jack", id_str: "12", indices: [127, 132] }],
      urls: [
        {
          url: "https://t.co/MkGjXf9aXm",
          expanded_url: "https://twittercommunity.com/t/new-update/115128",
          indices: [133, 156],
        },
      ],
      symbols: [{ text: "TWTR", indices: [121, 126] }],
    },
  },
  lang: "en",
  retweet_count: 161,
};

const JETSTREAM = {
  did: "did:plc:eygmaihciaxprqvxpfvl6flk",
  time_us: 1725911162329308,
  kind: "commit",
  commit: {
    rev: "3l3qo2vutsw2b",
    operation: "create",
    collection: "app.bsky.feed.post",
    rkey: "3l3qo2vuowo2b",
    record: {
      $type: "app.bsky.feed.post",
      createdAt: "2024-09-09T19:46:02.102Z",
      langs: ["en"],
      // "héllo " is 7 bytes (é is 2), the mention "@alice.bsky.social" is bytes 7..25
      text: "héllo @alice.bsky.social see example.com #日本語 $TSLA",
      facets: [
        {
          index: { byteStart: 7, byteEnd: 25 },
          features: [{ $type: "app.bsky.richtext.facet#mention", did: "did:plc:alice" }],
        },
        {
          index: { byteStart: 30, byteEnd: 41 },
          features: [{ $type: "app.bsky.richtext.facet#link", uri: "https://example.com" }],
        },
        { index: { byteStart: 42, byteEnd: 52 }, features: [{ $type: "app.bsky.richtext.facet#tag", tag: "日本語" }] },
      ],
      reply: {
        root: { uri: "at://did:plc:x/app.bsky.feed.post/1", cid: "c1" },
        parent: { uri: "at://did:plc:x/app.bsky.feed.post/2", cid: "c2" },
      },
    },
    cid: "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
  },
};

const MASTODON = {
  id: "103270115826048975",
  created_at: "2019-12-08T03:48:33.901Z",
  in_reply_to_id: null,
  in_reply_to_account_id: null,
  language: "fr",
  content:
    '<p>Bonjour &amp; bienvenue <span class="h-card"><a href="https://mastodon.social/@Gargron" ' +
    'class="u-url mention">@<span>Gargron</span></a></span> ! <a ' +
    'href="https://mastodon.social/tags/caf%C3%A9" class="mention hashtag" ' +
    'rel="tag">#<span>café</span></a></p><p>Lien: <a href="https://example.com/page?a=1&amp;b=2" ' +
    'rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span ' +
    'class="">example.com/page?a=1&amp;b=2</span></a><br />ligne 2 &lt;b&gt; &#x1F600;</p>',
  reblogs_count: 4,
  account: {
    id: "1",
    username: "Gargron",
    acct: "Gargron",
    display_name: "Eugen 💀",
    followers_count: 322930,
    following_count: 459,
    statuses_count: 61323,
  },
  tags: [{ name: "café", url: "https://mastodon.social/tags/caf%C3%A9" }],
  mentions: [{ id: "1", username: "Gargron", acct: "Gargron", url: "https://mastodon.social/@Gargron" }],
  media_attachments: [],
  application: { name: "Web", website: null },
  reblog: null,
};

test("v2: fields, includes author, entities, reply, media", () => {
  const p = fromTwitterV2(V2, { keepRaw: true });
  assert.equal(p.id, "1445880548472328192");
  assert.equal(p.source, "twitter-v2");
  assert.equal(p.createdAt, Date.UTC(2021, 9, 6, 23, 48, 1));
  assert.deepEqual(p.author, {
    id: "2244994945",
    handle: "TwitterDev",
    name: "Twitter Dev",
    followers: 513000,
    following: 2000,
    statuses: 3800,
    location: "127.0.0.1",
    description: "The voice of the X Dev team",
  });
  assert.deepEqual(
    [p.hashtags, p.mentions, p.urls, p.cashtags],
    [["DevTools"], ["TwitterDev"], ["https://twitter.com/x/status/1/photo/1"], []],
  );
  assert.equal(p.isReply, true);
  assert.equal(p.inReplyToId, "1445880000000000000");
  assert.equal(p.inReplyToUserId, "783214");
  assert.equal(p.isRetweet, false);
  assert.equal(p.retweetCount, 7);
  assert.equal(p.client, "Twitter Web App");
  assert.deepEqual(p.media, [
    { url: "https://pbs.twimg.com/media/abc.jpg", expandedUrl: "https://twitter.com/x/status/1/photo/1" },
  ]);
  assert.equal(p.raw, V2);
  // minimal stream line (no tweet.fields): time from the Snowflake id, entities from the text
  const at = Date.UTC(2021, 9, 6, 23, 48, 1, 5);
  const sid = (((BigInt(at) - 1288834974657n) << 22n) | 12345n).toString();
  const min = fromTwitterV2({ data: { id: sid, text: "hi #There" } });
  assert.equal(min.createdAt, at);
  assert.equal(snowflakeTime(sid), at);
  assert.deepEqual(min.hashtags, ["There"]);
});

test("v1.1: extended_tweet text and entities, user, client", () => {
  const p = fromTwitterV1(V1);
  assert.equal(p.id, "1050118621198921728");
  assert.ok(p.text.endsWith("#emoji $TWTR @jack https://t.co/MkGjXf9aXm"));
  assert.equal(p.createdAt, Date.UTC(2018, 9, 10, 20, 19, 24));
  assert.deepEqual(
    [p.hashtags, p.mentions, p.urls, p.cashtags],
    [["emoji"], ["jack"], ["https://twittercommunity.com/t/new-update/115128"], ["TWTR"]],
  );
  assert.equal(p.author.handle, "TwitterAPI");
  assert.equal(p.author.followers, 6133636);
  assert.equal(p.isReply, false);
  assert.equal(p.client, V1.source);
  const rt = fromTwitterV1({
    ...V1,
    extended_tweet: undefined,
    text: "RT @jack: hello",
    retweeted_status: { ...V1, id_str: "99" },
    in_reply_to_status_id_str: "5",
    in_reply_to_user_id_str: "6",
  });
  assert.equal(rt.isRetweet, true);
  assert.equal(rt.retweetOfId, "99");
  assert.equal(rt.inReplyToId, "5");
  assert.equal(rt.inReplyToUserId, "6");
});

test("Jetstream: facets by UTF-8 byte offsets, reply, langs; reposts; non-posts", () => {
  const p = fromJetstream(JETSTREAM);
  assert.equal(p.id, "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3l3qo2vuowo2b");
  assert.equal(p.createdAt, Date.parse("2024-09-09T19:46:02.102Z"));
  assert.deepEqual(
    [p.hashtags, p.mentions, p.urls, p.cashtags],
    [["日本語"], ["alice.bsky.social"], ["https://example.com"], ["TSLA"]],
  );
  assert.equal(p.lang, "en");
  assert.equal(p.isReply, true);
  assert.equal(p.inReplyToId, "at://did:plc:x/app.bsky.feed.post/2");
  const repost = fromJetstream({
    ...JETSTREAM,
    commit: {
      ...JETSTREAM.commit,
      collection: "app.bsky.feed.repost",
      record: {
        $type: "app.bsky.feed.repost",
        subject: { uri: "at://did:plc:x/app.bsky.feed.post/2", cid: "c" },
        createdAt: "2024-09-09T19:46:02.102Z",
      },
    },
  });
  assert.equal(repost.isRetweet, true);
  assert.equal(repost.retweetOfId, "at://did:plc:x/app.bsky.feed.post/2");
  assert.throws(() => fromJetstream({ did: "did:plc:a", time_us: 1, kind: "identity", identity: {} }), {
    code: "MR_SOCIAL_NOT_A_POST",
  });
  assert.throws(
    () => fromJetstream({ ...JETSTREAM, commit: { ...JETSTREAM.commit, operation: "delete", record: undefined } }),
    { code: "MR_SOCIAL_NOT_A_POST" },
  );
  assert.throws(() => fromJetstream({ ...JETSTREAM, commit: { ...JETSTREAM.commit, record: { text: 5 } } }), {
    code: "MR_SOCIAL_INVALID",
  });
});

test("Mastodon: HTML content to text, tags, mentions, links (not mention/hashtag links), reblogs", () => {
  const p = fromMastodon(MASTODON);
  assert.equal(
    p.text,
    "Bonjour & bienvenue @Gargron ! #café\n\nLien: https://example.com/page?a=1&b=2\nligne 2 <b> 😀",
  );
  assert.deepEqual([p.hashtags, p.mentions, p.urls], [["café"], ["Gargron"], ["https://example.com/page?a=1&b=2"]]);
  assert.equal(p.lang, "fr");
  assert.equal(p.author.name, "Eugen 💀");
  assert.equal(p.client, "Web");
  const boost = fromMastodon({
    ...MASTODON,
    id: "2",
    content: "",
    reblog: MASTODON,
    account: { ...MASTODON.account, id: "9", acct: "bob@example.social" },
  });
  assert.equal(boost.isRetweet, true);
  assert.equal(boost.retweetOfId, MASTODON.id);
  assert.equal(boost.author.handle, "bob@example.social");
  assert.equal(boost.text, p.text);
});

test("htmlToText: paragraphs, breaks, entities decoded after tags, scripts dropped", () => {
  assert.equal(htmlToText("<p>a</p><p>b<br>c</p>"), "a\n\nb\nc");
  assert.equal(htmlToText("x &amp;lt; y &#60;i&#62; &nbsp;z&unknown;"), "x &lt; y <i>  z&unknown;");
  assert.equal(htmlToText("<script>alert(1)</script><style>p{}</style>ok <!-- c -->"), "ok");
  assert.equal(htmlToText("<ul><li>one</li><li>two</li></ul>"), "• one\n• two");
  assert.equal(htmlToText("&#0; &#xD800; &#x110000;"), "\ufffd \ufffd \ufffd");
});

test("parsePost: detects the kind, from objects, strings and bytes", () => {
  assert.equal(parsePost(V2).source, "twitter-v2");
  assert.equal(parsePost(JSON.stringify(V1)).source, "twitter-v1");
  assert.equal(parsePost(Buffer.from(JSON.stringify(JETSTREAM))).source, "jetstream");
  assert.equal(parsePost(MASTODON).source, "mastodon");
  assert.throws(() => parsePost({ errors: [{ title: "operational-disconnect" }] }), { code: "MR_SOCIAL_NOT_A_POST" });
  assert.throws(() => parsePost({ delete: { status: { id_str: "1" } }, id_str: "1" }), {
    code: "MR_SOCIAL_NOT_A_POST",
  });
});

test("malformed inputs raise MR_SOCIAL_INVALID", () => {
  const bad: unknown[] = [
    "{not json",
    "null",
    "[1,2]",
    { hello: "world" },
    { data: { id: "1" } },
    { data: { id: "abc", text: "x" } },
    { data: { id: "1445880548472328192", text: "x", created_at: "yesterday" } },
    { data: "nope" },
    { id_str: "1", user: { id_str: "2", screen_name: "a" }, created_at: "Wed Oct 10 20:19:24 +0000 2018" },
    { id_str: "1", user: { id_str: "2" }, text: "x", created_at: "Wed Oct 10 20:19:24 +0000 2018" },
    { id_str: "1", user: { id_str: "2", screen_name: "a" }, text: "x", created_at: "soon" },
    { did: "did:plc:a", time_us: "1", kind: "commit" },
    { did: "did:plc:a", time_us: 1, kind: "commit", commit: null },
    { ...MASTODON, created_at: 5 },
    { ...MASTODON, content: null },
    { ...MASTODON, account: { username: "x" } },
  ];
  for (const b of bad) assert.throws(() => parsePost(b), { code: "MR_SOCIAL_INVALID" }, JSON.stringify(b).slice(0, 80));
});

test("sentiment: AFINN for English only; language from payload or heuristic", () => {
  const pos = scoreText("I love this, what a great day");
  assert.equal(pos.label, "positive");
  assert.ok(pos.score > 0 && pos.comparative > 0);
  assert.equal(scoreText("this is terrible and sad").label, "negative");
  assert.equal(scoreText("the train leaves at noon").label, "neutral");
  assert.equal(scorePost({ lang: "en", text: "awesome" })!.label, "positive");
  assert.equal(scorePost({ lang: "en-GB", text: "awful" })!.label, "negative");
  assert.equal(scorePost({ lang: "es", text: "love love love" }), null, "non-English is not scored");
  assert.equal(
    scorePost({ lang: null, text: "I really love this and the day is great" })!.label,
    "positive",
    "untagged English by heuristic",
  );
  assert.equal(scorePost({ lang: null, text: "el partido de hoy es muy bueno para la ciudad" }), null);
  assert.deepEqual(postLang({ lang: "fr", text: "the and is" }), { lang: "fr", from: "payload" });
  assert.deepEqual(postLang({ lang: null, text: "今日はとても楽しい" }), { lang: "ja", from: "heuristic" });
  assert.deepEqual(postLang({ lang: null, text: "ok" }), { lang: null, from: "none" });
  assert.equal(guessLang("der Hund ist nicht mit der Katze"), "de");
  assert.equal(guessLang("le chat est dans la maison avec les amis"), "fr");
  assert.equal(guessLang("Привет мир"), "ru");
  assert.equal(guessLang("#hashtag @mention https://t.co/x"), null);
});
