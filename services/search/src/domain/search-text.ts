import { maxSearchTerms, type SearchSnippet, type TextRange } from '@palaver/contracts';
import { SearchError } from '../errors.ts';

/*
 * What "the same text" means for search, applied alike to message bodies (when indexed)
 * and to queries: NFKD, lower case, combining marks removed (accents, Arabic vowel marks,
 * emoji variation selectors), recomposed (NFC). Japanese voicing marks are kept: か and が
 * are different words. It runs code point by code point, so each piece of the normalized
 * text knows which characters of the original it came from, for highlighting.
 */

const keptMarks = new Set([0x3099, 0x309a]);
const combiningMark = /\p{M}/u;
const whitespace = /\s/u;
const cache = new Map<string, string>();
const cacheLimit = 20_000;

function normalizeCodePoint(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x80) {
    if (code >= 0x41 && code <= 0x5a) return String.fromCharCode(code + 32);
    return code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0b || code === 0x0c ? ' ' : char;
  }
  const known = cache.get(char);
  if (known !== undefined) return known;
  let out = '';
  if (whitespace.test(char)) out = ' ';
  else {
    for (const part of char.normalize('NFKD').toLowerCase()) {
      if (combiningMark.test(part) && !keptMarks.has(part.codePointAt(0) as number)) continue;
      out += part;
    }
    out = out.normalize('NFC');
  }
  if (cache.size < cacheLimit) cache.set(char, out);
  return out;
}

interface NormalizedText {
  text: string;
  /** For each UTF-16 unit of `text`: where the original character it came from starts and ends. */
  from: number[];
  to: number[];
}

function normalizeWithOrigins(original: string): NormalizedText {
  let text = '';
  const from: number[] = [];
  const to: number[] = [];
  let index = 0;
  for (const char of original) {
    const piece = normalizeCodePoint(char);
    for (let i = 0; i < piece.length; i++) {
      from.push(index);
      to.push(index + char.length);
    }
    text += piece;
    index += char.length;
  }
  return { text, from, to };
}

export function normalizeText(original: string): string {
  let text = '';
  for (const char of original) text += normalizeCodePoint(char);
  return text;
}

/**
 * The index's second key, for words too short for trigrams: every character outside ASCII
 * and every pair of neighbours within a word with one outside ASCII (CJK words are often
 * one or two characters; emoji are no word characters to pg_trgm at all).
 */
export function shortGramsOf(normalized: string): string[] {
  const grams = new Set<string>();
  for (const word of normalized.split(' ')) {
    const chars = Array.from(word);
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i] as string;
      const next = chars[i + 1];
      if (char.charCodeAt(0) >= 0x80) grams.add(char);
      if (next !== undefined && (char.charCodeAt(0) >= 0x80 || next.charCodeAt(0) >= 0x80))
        grams.add(char + next);
    }
  }
  return [...grams];
}

/** Letters, digits and symbols (emoji included): what makes a term worth looking for. */
const searchable = /[\p{L}\p{N}\p{S}]/u;
/** Three letters or digits in a row: pg_trgm can find the term by its trigrams. */
const trigramWord = /[\p{L}\p{N}]{3}/u;

export interface SearchTerm {
  /** Normalized; matched as a substring of the normalized body. */
  text: string;
  /** The term's short grams when trigrams cannot find it (fewer than 3 word characters in a row). */
  grams: string[] | null;
}

/**
 * Splits a query into terms (by white space, normalized, each kept once). Every term is
 * plain text: `%`, `_` and `\` are characters to find, never patterns.
 */
export function parseQuery(q: string): SearchTerm[] {
  const words = [...new Set(normalizeText(q).split(' ').filter(Boolean))];
  if (!words.some((word) => searchable.test(word))) {
    throw new SearchError('empty_query', 'The query has no letter, digit or symbol to search for');
  }
  if (words.length > maxSearchTerms) {
    throw new SearchError('too_many_terms', `A query may have at most ${maxSearchTerms} words`);
  }
  const terms = words.map((text) => {
    if (trigramWord.test(text)) return { text, grams: null, indexed: true };
    const chars = Array.from(text);
    const grams =
      chars.length === 1
        ? shortGramsOf(text)
        : chars
            .slice(0, -1)
            .map((char, i) => char + chars[i + 1])
            .filter((gram) => /[^\0-\x7f]/.test(gram));
    return grams.length > 0
      ? { text, grams: [...new Set(grams)], indexed: true }
      : { text, grams: null, indexed: false };
  });
  // A word of one or two Latin letters is found by no index: alone it would read every
  // message the caller can see (seconds at a million messages, docs/benchmarks/search.md).
  if (!terms.some((term) => term.indexed)) {
    throw new SearchError(
      'query_too_short',
      'Words in Latin letters or digits need at least 3 characters, unless another word of the query has',
    );
  }
  return terms.map(({ text, grams }) => ({ text, grams }));
}

/** `text` as a LIKE pattern matching itself only (backslash is PostgreSQL's default escape). */
export const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** Where the terms occur in `body`, as ranges of the original text, sorted and merged. */
export function matchRanges(body: string, terms: string[]): TextRange[] {
  const normalized = normalizeWithOrigins(body);
  const ranges: TextRange[] = [];
  for (const term of terms) {
    if (!term) continue;
    for (let at = normalized.text.indexOf(term); at >= 0; at = normalized.text.indexOf(term, at + 1)) {
      // Marks the normalization dropped (a final Arabic vowel, an emoji's variation
      // selector) belong to the match: it ends where the next kept character starts.
      const next = at + term.length;
      ranges.push({
        start: normalized.from[at] as number,
        end: next < normalized.text.length ? (normalized.from[next] as number) : body.length,
      });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: TextRange[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

const isLowSurrogate = (text: string, index: number) => {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff;
};

/**
 * A window of at most `width` UTF-16 units of `body` around its first match, with the
 * matches inside it; never cuts a surrogate pair.
 */
export function snippetOf(body: string, terms: string[], width = 160, lead = 40): SearchSnippet {
  const ranges = matchRanges(body, terms);
  let start = Math.max(0, Math.min((ranges[0]?.start ?? 0) - lead, body.length - width));
  if (start > 0 && isLowSurrogate(body, start)) start -= 1;
  let end = Math.min(body.length, start + width);
  if (end < body.length && isLowSurrogate(body, end)) end -= 1;
  const highlights = ranges
    .filter((range) => range.end > start && range.start < end)
    .map((range) => ({ start: Math.max(range.start, start) - start, end: Math.min(range.end, end) - start }));
  return {
    text: body.slice(start, end),
    highlights,
    truncatedStart: start > 0,
    truncatedEnd: end < body.length,
  };
}
