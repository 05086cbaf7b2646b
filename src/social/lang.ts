/**
 * A post's language: the payload's own tag when it has one (Twitter's `lang`,
 * Bluesky's `langs`, Mastodon's `language`), else a tiny heuristic: the script
 * for non-Latin text (kana -> ja, hangul -> ko, han -> zh, cyrillic -> ru,
 * arabic -> ar, ...) and common function words for a few Latin-script
 * languages. The heuristic is optional and rough; it says null when unsure.
 */
import type { Post } from "./model.js";

export interface LangGuess {
  lang: string | null;
  from: "payload" | "heuristic" | "none";
}

const SCRIPTS: [RegExp, string][] = [
  [/[\u3040-\u30ff]/u, "ja"],
  [/[\uac00-\ud7af\u1100-\u11ff]/u, "ko"],
  [/\p{Script=Han}/u, "zh"],
  [/\p{Script=Cyrillic}/u, "ru"],
  [/\p{Script=Arabic}/u, "ar"],
  [/\p{Script=Hebrew}/u, "he"],
  [/\p{Script=Greek}/u, "el"],
  [/\p{Script=Thai}/u, "th"],
  [/\p{Script=Devanagari}/u, "hi"],
];

const WORDS: Record<string, string[]> = {
  en: [
    "the",
    "and",
    "is",
    "to",
    "of",
    "in",
    "it",
    "you",
    "this",
    "that",
    "for",
    "with",
    "are",
    "my",
    "on",
    "was",
    "what",
    "just",
  ],
  es: [
    "el",
    "la",
    "de",
    "que",
    "y",
    "en",
    "los",
    "las",
    "es",
    "por",
    "con",
    "para",
    "una",
    "muy",
    "pero",
    "está",
    "del",
  ],
  fr: [
    "le",
    "la",
    "les",
    "de",
    "et",
    "est",
    "des",
    "une",
    "un",
    "pour",
    "dans",
    "pas",
    "que",
    "qui",
    "avec",
    "c'est",
    "sur",
    "très",
  ],
  de: [
    "der",
    "die",
    "das",
    "und",
    "ist",
    "nicht",
    "ich",
    "mit",
    "ein",
    "eine",
    "zu",
    "auf",
    "für",
    "von",
    "sehr",
    "auch",
    "heute",
  ],
  pt: ["o", "a", "de", "que", "e", "do", "da", "em", "um", "uma", "para", "com", "não", "os", "muito", "está", "hoje"],
  it: ["il", "di", "che", "e", "la", "è", "per", "non", "una", "con", "sono", "della", "molto", "oggi"],
  nl: ["de", "het", "een", "en", "van", "is", "niet", "dat", "op", "met", "voor", "zijn", "ook"],
};
const WORD_SETS = Object.fromEntries(Object.entries(WORDS).map(([k, v]) => [k, new Set(v)]));

/** Guesses a language from text alone; null when unsure. */
export function guessLang(text: string): string | null {
  const clean = text.replace(/https?:\/\/\S+/g, " ").replace(/[#@$][\p{L}\p{N}_]+/gu, " ");
  for (const [re, code] of SCRIPTS) if (re.test(clean)) return code;
  const words = clean.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  if (words.length < 3) return null;
  let best: string | null = null;
  let bestScore = 0;
  let second = 0;
  for (const [code, set] of Object.entries(WORD_SETS)) {
    let s = 0;
    for (const w of words) if (set.has(w)) s++;
    if (s > bestScore) {
      second = bestScore;
      bestScore = s;
      best = code;
    } else if (s > second) second = s;
  }
  return bestScore >= 2 && bestScore > second ? best : null;
}

/** The payload's language, else the heuristic's (when `heuristic` is on, the default). */
export function postLang(post: Pick<Post, "lang" | "text">, opts: { heuristic?: boolean } = {}): LangGuess {
  if (post.lang) return { lang: post.lang, from: "payload" };
  if (opts.heuristic === false) return { lang: null, from: "none" };
  const g = guessLang(post.text);
  return g ? { lang: g, from: "heuristic" } : { lang: null, from: "none" };
}
