import { describe, expect, it } from 'vitest';
import {
  likeLiteral,
  matchRanges,
  normalizeText,
  parseQuery,
  shortGramsOf,
  snippetOf,
} from './search-text.ts';

const highlighted = (body: string, terms: string[]) =>
  snippetOf(body, terms).highlights.map(({ start, end }) => body.slice(start, end));

describe('normalizeText', () => {
  it('folds case, accents, Arabic vowel marks and emoji variation selectors; keeps kana voicing', () => {
    expect(normalizeText('Café ÉTÉ')).toBe('cafe ete');
    expect(normalizeText('كِتَابٌ')).toBe('كتاب');
    expect(normalizeText('❤️')).toBe('❤');
    expect(normalizeText('がっこう')).toBe('がっこう');
    expect(normalizeText('ｈｅｌｌｏ　ＡＢＣ')).toBe('hello abc');
  });
});

describe('parseQuery', () => {
  it('keeps each word once, and gives short non-Latin words their grams', () => {
    expect(parseQuery('Hello hello 中国')).toEqual([
      { text: 'hello', grams: null },
      { text: '中国', grams: ['中国'] },
    ]);
    expect(parseQuery('猫')).toEqual([{ text: '猫', grams: ['猫'] }]);
    expect(parseQuery('🎉')).toEqual([{ text: '🎉', grams: ['🎉'] }]);
    expect(parseQuery('ok tenkai')).toEqual([
      { text: 'ok', grams: null },
      { text: 'tenkai', grams: null },
    ]);
  });

  it('refuses queries with nothing to look for, or too many words', () => {
    for (const q of ['%', '_', '\\', ' % _ ', '...'])
      expect(() => parseQuery(q)).toThrow(/nothing|no letter/);
    expect(() => parseQuery('a b c d e f g h i')).toThrow(/at most 8/);
    for (const q of ['ok', 'a', 'x1 ok', 'a-b']) expect(() => parseQuery(q)).toThrow(/at least 3/);
  });
});

describe('shortGramsOf', () => {
  it('has the non-ASCII characters and their pairs within words', () => {
    expect(shortGramsOf('我爱 go 🎉').sort()).toEqual(['我', '我爱', '爱', '🎉'].sort());
  });
});

describe('likeLiteral', () => {
  it('escapes the pattern characters', () => {
    expect(likeLiteral('50%_a\\b')).toBe('50\\%\\_a\\\\b');
  });
});

describe('snippets', () => {
  it('highlights partial words in the original text, whatever its case or accents', () => {
    expect(highlighted('The Café opened', ['caf'])).toEqual(['Caf']);
    expect(highlighted('我是中国人，中国很大', ['中国'])).toEqual(['中国', '中国']);
    expect(highlighted('مرحبا بالعالم، كِتَاب', ['كتاب'])).toEqual(['كِتَاب']);
    expect(highlighted('party 🎉🎉 now', ['🎉'])).toEqual(['🎉🎉']);
  });

  it('merges overlapping matches and cuts a long body around the first one without splitting a pair', () => {
    expect(matchRanges('banana', ['ana'])).toEqual([{ start: 1, end: 6 }]);
    const body = `${'😀'.repeat(100)} needle ${'x'.repeat(300)}`;
    const snippet = snippetOf(body, ['needle']);
    expect(snippet.truncatedStart).toBe(true);
    expect(snippet.truncatedEnd).toBe(true);
    expect(snippet.text.length).toBeLessThanOrEqual(160);
    expect(snippet.text.charCodeAt(0) >= 0xdc00 && snippet.text.charCodeAt(0) <= 0xdfff).toBe(false);
    const [range] = snippet.highlights;
    expect(snippet.text.slice(range?.start, range?.end)).toBe('needle');
  });
});
