/**
 * Sentiment with the `sentiment` package (AFINN-165 word list with emoji
 * scores). AFINN is an English list, so only English posts are scored: other
 * languages get null rather than a misleading 0. A post without a language tag
 * is scored when the language heuristic says English.
 */
import Sentiment from "sentiment";
import type { Post } from "./model.js";
import { postLang } from "./lang.js";

export type SentimentLabel = "positive" | "neutral" | "negative";

export interface SentimentResult {
  /** sum of the AFINN values of the words found (-5..+5 each) */
  score: number;
  /** score divided by the number of tokens */
  comparative: number;
  label: SentimentLabel;
}

const analyzer = new Sentiment();

export function labelOf(score: number): SentimentLabel {
  return score > 0 ? "positive" : score < 0 ? "negative" : "neutral";
}

/** Scores English text (no language check). */
export function scoreText(text: string): SentimentResult {
  const r = analyzer.analyze(text);
  return { score: r.score, comparative: r.comparative, label: labelOf(r.score) };
}

function isEnglish(lang: string | null): boolean {
  return lang !== null && (lang === "en" || lang.startsWith("en-"));
}

/** Scores a post if it is English (by its tag, or the heuristic when untagged); otherwise null. */
export function scorePost(post: Pick<Post, "lang" | "text">): SentimentResult | null {
  const { lang } = postLang(post);
  if (!isEnglish(lang)) return null;
  // Entities carry no sentiment of their own; drop URLs so "bad.ly" style hosts don't count.
  return scoreText(post.text.replace(/https?:\/\/\S+/g, " "));
}
