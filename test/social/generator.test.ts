import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TweetGenerator, generateCorpus, type V2Payload } from "../../src/social/generator.js";
import { hashtagKey } from "../../src/social/entities.js";
import { parsePost } from "../../src/social/model.js";

const START = Date.UTC(2025, 0, 1);
const corpusText = (seed: number, count: number, startMs = START) => {
  let s = "";
  for (const p of generateCorpus({ seed, count, startMs })) s += JSON.stringify(p) + "\n";
  return s;
};

test("generator: same seed and start give identical bytes; another seed or start does not", () => {
  const a = corpusText(42, 2000);
  assert.equal(corpusText(42, 2000), a);
  assert.notEqual(corpusText(43, 2000), a);
  assert.notEqual(corpusText(42, 2000, START + 1000), a);
  // a prefix of a longer run is the shorter run
  assert.ok(corpusText(42, 2500).startsWith(a));
});

test("generator: the committed fixture is what gen-corpus makes (seed 42, 1000 tweets, 2025-01-01)", () => {
  const path = fileURLToPath(new URL("../fixtures/social/tweets-1000.jsonl", import.meta.url));
  assert.equal(readFileSync(path, "utf8"), corpusText(42, 1000));
});

test("generator: payloads are v2-shaped and parse; retweets, replies, languages, ids", () => {
  const kinds = new Map<string, number>();
  const langs = new Set<string>();
  let lastId = 0n;
  const byId = new Map<string, V2Payload>();
  for (const p of generateCorpus({ seed: 1, count: 3000, startMs: START })) {
    const d = p.data;
    assert.match(d.id, /^\d{18,19}$/);
    assert.ok(BigInt(d.id) > lastId, "ids increase");
    lastId = BigInt(d.id);
    assert.equal(new Date(d.created_at).toISOString(), d.created_at);
    assert.deepEqual(d.edit_history_tweet_ids, [d.id]);
    assert.ok(
      p.includes.users.some((u) => u.id === d.author_id),
      "author in includes.users",
    );
    for (const m of d.entities?.mentions ?? [])
      assert.ok(p.includes.users.some((u) => u.id === m.id && u.username === m.username));
    for (const u of p.includes.users) assert.match(u.username, /^[A-Za-z0-9_]{1,15}$/);
    const kind = d.referenced_tweets?.[0]?.type ?? "original";
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    langs.add(d.lang);
    const post = parsePost(p, { source: "synthetic" });
    assert.equal(post.source, "synthetic");
    assert.equal(post.createdAt, Date.parse(d.created_at));
    if (kind === "retweeted") {
      const orig = p.includes.tweets![0];
      assert.equal(d.text, `RT @${p.includes.users.find((u) => u.id === orig.author_id)!.username}: ${orig.text}`);
      assert.equal(post.isRetweet, true);
      assert.equal(post.retweetOfId, orig.id);
    }
    if (kind === "replied_to") {
      const target = byId.get(d.referenced_tweets![0].id)!;
      assert.ok(target, "replies answer an earlier tweet");
      const handle = p.includes.users.find((u) => u.id === d.in_reply_to_user_id)!.username;
      assert.ok(d.text.startsWith(`@${handle} `));
      assert.equal(d.conversation_id, target.data.conversation_id);
      assert.equal(post.isReply, true);
    }
    byId.set(d.id, p);
  }
  assert.ok(kinds.get("original")! > 1500);
  assert.ok(kinds.get("retweeted")! > 300);
  assert.ok(kinds.get("replied_to")! > 200);
  for (const l of ["en", "es", "fr", "de", "ja", "pt"]) assert.ok(langs.has(l), l);
});

test("generator: hashtags are Zipf-like (head much heavier than tail)", () => {
  const counts = new Map<string, number>();
  let total = 0;
  for (const p of generateCorpus({ seed: 5, count: 10000, startMs: START, ratePerSec: 1000 })) {
    for (const h of p.data.entities?.hashtags ?? []) {
      if (p.data.referenced_tweets?.[0]?.type === "retweeted") continue;
      counts.set(hashtagKey(h.tag), (counts.get(hashtagKey(h.tag)) ?? 0) + 1);
      total++;
    }
  }
  const sorted = [...counts.values()].sort((a, b) => b - a);
  const head = sorted.slice(0, 10).reduce((a, b) => a + b, 0);
  const tail = sorted.slice(-100).reduce((a, b) => a + b, 0);
  assert.ok(total > 5000);
  assert.ok(head > total * 0.3, `top 10 tags carry ${head}/${total}`);
  assert.ok(head > 10 * tail, `top 10 (${head}) vs bottom 100 (${tail})`);
  assert.ok(sorted[0] > 20 * sorted[Math.floor(sorted.length / 2)], "top tag vs median tag");
});

test("generator: trends rise and fade over virtual time", () => {
  const gen = new TweetGenerator({ seed: 9 });
  const t = gen.trendOf(10);
  assert.deepEqual(gen.trendOf(10), t, "a trend is a pure function of seed and epoch");
  const idx = gen.hashtagRanking.indexOf(t.tag);
  const at = (ms: number) => gen.weightsAt(ms)[idx];
  const base = at(t.startMs - 1);
  const rise = 20 * 60_000;
  assert.ok(at(t.startMs + rise) > base + 0.4, "peaks after rising");
  assert.ok(at(t.startMs + rise / 2) < at(t.startMs + rise), "rises");
  assert.ok(at(t.startMs + rise * 4) < at(t.startMs + rise * 2), "fades");
  // Over six simulated hours the hourly leader changes.
  const leaders = new Set<string>();
  const hour = 3_600_000;
  const perHour = new Map<number, Map<string, number>>();
  for (const p of generateCorpus({ seed: 9, count: 12000, startMs: START, ratePerSec: 0.5 })) {
    const h = Math.floor((Date.parse(p.data.created_at) - START) / hour);
    const m = perHour.get(h) ?? new Map<string, number>();
    for (const x of p.data.entities?.hashtags ?? []) m.set(x.tag, (m.get(x.tag) ?? 0) + 1);
    perHour.set(h, m);
  }
  for (const m of perHour.values()) leaders.add([...m.entries()].sort((a, b) => b[1] - a[1])[0][0]);
  assert.ok(perHour.size >= 6);
  assert.ok(leaders.size >= 2, `hourly leaders: ${[...leaders].join(", ")}`);
});
