import { describe, expect, it } from 'vitest';
import { contentDisposition, maxNameLength, sanitiseFileName } from './file-names.ts';

describe('sanitiseFileName', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\win.ini', 'win.ini'],
    ['..', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['.htaccess', 'htaccess'],
    ['invoice\u202Egnp.exe', 'invoicegnp.exe'],
    ['a\u0000b\u0007c\nd.txt', 'abcd.txt'],
    ['résumé – 東京.pdf', 'résumé – 東京.pdf'],
    ['what?<>|:".txt', 'what.txt'],
  ])('%j → %j', (input, expected) => {
    expect(sanitiseFileName(input)).toBe(expected);
  });

  it('caps the length and keeps the extension and whole characters', () => {
    const name = sanitiseFileName(`${'é😀'.repeat(600)}.jpeg`);
    expect(Array.from(name).length).toBe(maxNameLength);
    expect(name.endsWith('.jpeg')).toBe(true);
    expect(name.isWellFormed()).toBe(true);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('attachment', 'naïve "file".txt')).toBe(
      `attachment; filename="na_ve _file_.txt"; filename*=UTF-8''na%C3%AFve%20%22file%22.txt`,
    );
  });
});
