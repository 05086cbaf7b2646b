import { test } from "node:test";
import assert from "node:assert/strict";
import avro from "avsc";
import { bigIntLongOptions, readContainer } from "../../src/formats/avro-container.js";
import {
  FLUME_TWITTER_DOC_SCHEMA,
  containerToDocs,
  docsToContainer,
  flumeTwitterDocType,
  tweetToDoc,
} from "../../src/formats/flume-twitter-doc.js";
import type { Post } from "../../src/social/model.js";
import { avscDecodeAll } from "./avro-helpers.js";

const base: Post = {
  id: "1377650093109743620",
  source: "twitter-v2",
  createdAt: Date.UTC(2021, 3, 1, 15, 52, 32, 123),
  text: "Hello #World 😀",
  lang: "en",
  author: {
    id: "3026521093",
    handle: "some_one",
    name: "Some One",
    followers: 837,
    following: 526,
    statuses: 96025,
    location: "Earth",
  },
  hashtags: ["World"],
  mentions: [],
  urls: [],
  cashtags: [],
  isRetweet: false,
  isReply: false,
  client: "Twitter for Android",
  retweetCount: 3,
};

test("Doc schema: the text Avro's Java Schema.toString() gives for Flume's schema", () => {
  // Built by hand from TwitterSource.createAvroSchema(): record Doc, doc "adoc", no namespace,
  // id string, the rest [type, null] unions.
  const opt = (n: string, t: string) => `{"name":"${n}","type":["${t}","null"]}`;
  const expected =
    `{"type":"record","name":"Doc","doc":"adoc","fields":[{"name":"id","type":"string"},` +
    [
      opt("user_friends_count", "int"),
      opt("user_location", "string"),
      opt("user_description", "string"),
      opt("user_statuses_count", "int"),
      opt("user_followers_count", "int"),
      opt("user_name", "string"),
      opt("user_screen_name", "string"),
      opt("created_at", "string"),
      opt("text", "string"),
      opt("retweet_count", "long"),
      opt("retweeted", "boolean"),
      opt("in_reply_to_user_id", "long"),
      opt("source", "string"),
      opt("in_reply_to_status_id", "long"),
      opt("media_url_https", "string"),
      opt("expanded_url", "string"),
    ].join(",") +
    "]}";
  assert.equal(JSON.stringify(FLUME_TWITTER_DOC_SCHEMA), expected);
  const buf = docsToContainer([tweetToDoc(base)]);
  assert.equal(readContainer(buf, { typeOptions: bigIntLongOptions() }).metadata["avro.schema"].toString(), expected);
  assert.equal(readContainer(buf, {}).codec, "null");
});

test("tweetToDoc: Flume's field mapping (-1 for no reply, first media, UTC date without millis)", () => {
  const d = tweetToDoc(base);
  assert.deepEqual(d, {
    id: "1377650093109743620",
    user_friends_count: 526,
    user_location: "Earth",
    user_description: null,
    user_statuses_count: 96025,
    user_followers_count: 837,
    user_name: "Some One",
    user_screen_name: "some_one",
    created_at: "2021-04-01T15:52:32Z",
    text: "Hello #World 😀",
    retweet_count: 3n,
    retweeted: false,
    in_reply_to_user_id: -1n,
    source: "Twitter for Android",
    in_reply_to_status_id: -1n,
    media_url_https: null,
    expanded_url: null,
  });
  const reply = tweetToDoc({
    ...base,
    isReply: true,
    inReplyToId: "1377650090978992134",
    inReplyToUserId: "1234567890123456789",
    isRetweet: true,
    media: [
      { url: "https://pbs.twimg.com/media/x.jpg", expandedUrl: "https://twitter.com/a/status/1/photo/1" },
      { url: "https://pbs.twimg.com/media/y.jpg" },
    ],
  });
  assert.equal(reply.in_reply_to_status_id, 1377650090978992134n);
  assert.equal(reply.in_reply_to_user_id, 1234567890123456789n);
  assert.equal(reply.retweeted, true);
  assert.equal(reply.media_url_https, "https://pbs.twimg.com/media/x.jpg");
  assert.equal(reply.expanded_url, "https://twitter.com/a/status/1/photo/1");
});

test("docsToContainer: one container per batch, readable by avsc's BlockDecoder with Flume's schema", async () => {
  const posts: Post[] = Array.from({ length: 100 }, (_, i) => ({
    ...base,
    id: String(1377650093109743620n + BigInt(i)),
    text: `tweet ${i} #t${i % 5}`,
    isReply: i % 3 === 0,
    inReplyToId: i % 3 === 0 ? String(1377650000000000000n + BigInt(i)) : undefined,
    inReplyToUserId: i % 3 === 0 ? String(900000000000000000n + BigInt(i)) : undefined,
  }));
  const docs = posts.map(tweetToDoc);
  const buf = docsToContainer(docs);
  // ours
  assert.deepEqual(containerToDocs(buf), docs);
  // avsc's streaming decoder, reading with Flume's schema (longs as bigint: 64-bit ids)
  const got = await avscDecodeAll(buf, { readerSchema: flumeTwitterDocType });
  const { doc: _doc, ...withoutDoc } = FLUME_TWITTER_DOC_SCHEMA;
  assert.deepEqual(got.schema, withoutDoc); // avsc's schema() leaves out "doc"
  assert.equal(got.records.length, 100);
  assert.deepEqual(
    got.records.map((r) => ({ ...(r as object) })),
    docs,
  );
  // and with avsc's plain schema parsing when every long is small
  const small = docsToContainer(posts.filter((p) => !p.isReply).map(tweetToDoc));
  const plain = await avscDecodeAll(small);
  assert.equal(plain.records.length, 66);
  const first = plain.records[0] as Record<string, unknown>;
  assert.equal(first.in_reply_to_status_id, -1);
  assert.equal(first.text, "tweet 1 #t1");
  assert.ok(avro.Type.forSchema(FLUME_TWITTER_DOC_SCHEMA as avro.Schema).isValid({ ...first }));
});

test("docsToContainer: the synthetic fixture in batches of 100, like the source's maxBatchSize", async () => {
  const { readFileSync } = await import("node:fs");
  const { parseJsonLines } = await import("../../src/formats/json-lines.js");
  const { parsePost } = await import("../../src/social/model.js");
  const { records, errors } = parseJsonLines(
    readFileSync(new URL("../fixtures/social/tweets-1000.jsonl", import.meta.url)),
  );
  assert.equal(errors.length, 0);
  const docs = records.map((r) => tweetToDoc(parsePost(r.value)));
  let seen = 0;
  for (let i = 0; i < docs.length; i += 100) {
    const batch = docs.slice(i, i + 100);
    const body = docsToContainer(batch, { codec: i % 200 ? "deflate" : "null" });
    const got = await avscDecodeAll(body, { readerSchema: flumeTwitterDocType });
    assert.deepEqual(
      got.records.map((r) => ({ ...(r as object) })),
      batch,
    );
    seen += got.records.length;
  }
  assert.equal(seen, 1000);
  assert.ok(
    docs.some((d) => d.in_reply_to_status_id !== -1n && d.in_reply_to_status_id! > 2n ** 53n),
    "64-bit reply ids survive",
  );
  assert.ok(docs.some((d) => d.retweeted));
});
