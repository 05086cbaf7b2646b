/**
 * Text transformers with Spark ML's semantics: Tokenizer, RegexTokenizer, StopWordsRemover, NGram, and a
 * Stemmer (not in Spark; Porter's algorithm from the `stemmer` package) for the article's tweet pipeline.
 */
import { stemmer } from "stemmer";
import { MLError } from "../errors.js";
import { requireParam } from "../param.js";
import { UnaryTransformer } from "../pipeline-stage.js";
import { STOP_WORDS } from "./stopwords-data.js";

/** Java's \s: space, \t, \n, \x0B, \f, \r (not the Unicode spaces of JavaScript's \s) */
// biome-ignore lint/suspicious/noControlCharactersInRegex: \x0B (vertical tab) is one of Java's \s
const JAVA_WHITESPACE = /[ \t\n\x0B\f\r]/;

/** String.split(regex) as Java does it: trailing empty strings removed, no leading empty for a zero-width match */
export function javaSplit(s: string, re: RegExp): string[] {
  const g = new RegExp(re.source, re.flags.includes("g") ? re.flags : `${re.flags}g`);
  const out: string[] = [];
  let index = 0;
  for (const m of s.matchAll(g)) {
    const at = m.index ?? 0;
    if (index === 0 && at === 0 && m[0].length === 0) continue;
    out.push(s.slice(index, at));
    index = at + m[0].length;
  }
  if (index === 0 && out.length === 0) return [s];
  out.push(s.slice(index));
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

function textOf(x: unknown, stage: string): string {
  if (typeof x !== "string") throw new MLError("MR_ML_INPUT", `${stage}: input must be a string, got ${typeof x}`);
  return x;
}

function tokensOf(x: unknown, stage: string): string[] {
  if (!Array.isArray(x)) throw new MLError("MR_ML_INPUT", `${stage}: input must be an array of strings`);
  return x as string[];
}

/** lower-cases the text and splits it on single whitespace characters (Spark's `split("\\s")`) */
export class Tokenizer extends UnaryTransformer<string, string[]> {
  constructor(uid?: string) {
    super("tok", {}, uid);
  }
  createTransformFunc(): (text: string) => string[] {
    return (text) => javaSplit(textOf(text, "Tokenizer").toLowerCase(), JAVA_WHITESPACE);
  }
}

/** splits on a pattern (gaps=true) or extracts its matches (gaps=false); keeps tokens of minTokenLength or more */
export class RegexTokenizer extends UnaryTransformer<string, string[]> {
  constructor(uid?: string) {
    super("regexTok", { pattern: "\\s+", gaps: true, minTokenLength: 1, toLowercase: true }, uid);
  }
  getPattern(): string {
    return this.getOrDefault("pattern");
  }
  setPattern(p: string): this {
    return this.set("pattern", p);
  }
  getGaps(): boolean {
    return this.getOrDefault("gaps");
  }
  setGaps(g: boolean): this {
    return this.set("gaps", g);
  }
  getMinTokenLength(): number {
    return this.getOrDefault("minTokenLength");
  }
  setMinTokenLength(n: number): this {
    requireParam(Number.isInteger(n) && n >= 0, "RegexTokenizer", "minTokenLength must be an integer >= 0");
    return this.set("minTokenLength", n);
  }
  getToLowercase(): boolean {
    return this.getOrDefault("toLowercase");
  }
  setToLowercase(b: boolean): this {
    return this.set("toLowercase", b);
  }
  createTransformFunc(): (text: string) => string[] {
    const re = new RegExp(this.getPattern());
    const all = new RegExp(this.getPattern(), "g");
    const gaps = this.getGaps();
    const min = this.getMinTokenLength();
    const lower = this.getToLowercase();
    return (text) => {
      const s = lower ? textOf(text, "RegexTokenizer").toLowerCase() : textOf(text, "RegexTokenizer");
      const tokens = gaps ? javaSplit(s, re) : Array.from(s.matchAll(all), (m) => m[0]);
      return tokens.filter((t) => t.length >= min);
    };
  }
}

/** removes stop words; the default list is Spark's English one */
export class StopWordsRemover extends UnaryTransformer<string[], string[]> {
  constructor(uid?: string) {
    super(
      "stopWords",
      { stopWords: StopWordsRemover.loadDefaultStopWords("english"), caseSensitive: false, locale: "en-US" },
      uid,
    );
  }
  /**
   * Spark's list for a language: danish, dutch, english, finnish, french, german, hungarian, italian,
   * norwegian, portuguese, russian, spanish, swedish, turkish
   */
  static loadDefaultStopWords(language: string): string[] {
    const words = STOP_WORDS[language];
    if (words === undefined)
      throw new MLError(
        "MR_ML_PARAM",
        `StopWordsRemover: no stop words for ${language}; languages: ${Object.keys(STOP_WORDS).join(", ")}`,
      );
    return words.split(" ");
  }
  static readonly supportedLanguages: readonly string[] = Object.keys(STOP_WORDS);

  getStopWords(): string[] {
    return this.getOrDefault("stopWords");
  }
  setStopWords(words: string[]): this {
    return this.set("stopWords", [...words]);
  }
  getCaseSensitive(): boolean {
    return this.getOrDefault("caseSensitive");
  }
  setCaseSensitive(b: boolean): this {
    return this.set("caseSensitive", b);
  }
  getLocale(): string {
    return this.getOrDefault("locale");
  }
  /** the locale of case-insensitive matching (a BCP 47 tag; Spark's "en_US" form is accepted) */
  setLocale(l: string): this {
    return this.set("locale", l.replace("_", "-"));
  }
  createTransformFunc(): (tokens: string[]) => string[] {
    if (this.getCaseSensitive()) {
      const set = new Set(this.getStopWords());
      return (tokens) => tokensOf(tokens, "StopWordsRemover").filter((t) => !set.has(t));
    }
    const locale = this.getLocale();
    const lower = (s: string) => s.toLocaleLowerCase(locale);
    const set = new Set(this.getStopWords().map(lower));
    return (tokens) => tokensOf(tokens, "StopWordsRemover").filter((t) => !set.has(lower(t)));
  }
}

/** the n-grams of a token array, each the tokens joined by a space; none when there are fewer than n tokens */
export class NGram extends UnaryTransformer<string[], string[]> {
  constructor(uid?: string) {
    super("ngram", { n: 2 }, uid);
  }
  getN(): number {
    return this.getOrDefault("n");
  }
  setN(n: number): this {
    requireParam(Number.isInteger(n) && n >= 1, "NGram", "n must be an integer >= 1");
    return this.set("n", n);
  }
  createTransformFunc(): (tokens: string[]) => string[] {
    const n = this.getN();
    return (tokens) => {
      const t = tokensOf(tokens, "NGram");
      const out: string[] = [];
      for (let i = 0; i + n <= t.length; i++) out.push(t.slice(i, i + n).join(" "));
      return out;
    };
  }
}

/** Porter stemming of every token (the `stemmer` package); tokens are lower-cased first, as the stemmer expects */
export class Stemmer extends UnaryTransformer<string[], string[]> {
  constructor(uid?: string) {
    super("stemmer", {}, uid);
  }
  createTransformFunc(): (tokens: string[]) => string[] {
    return (tokens) => tokensOf(tokens, "Stemmer").map((t) => stemmer(t));
  }
}
