import { describe, expect, it } from 'vitest';
import { mentionedUsernames } from './mentions.ts';

describe('mentionedUsernames', () => {
  it('finds distinct @usernames in lower case, ending at punctuation', () => {
    expect(mentionedUsernames('hi @Ada and @bob.smith, also @ada. (@carol-x)')).toEqual([
      'ada',
      'bob.smith',
      'carol-x',
    ]);
  });

  it('leaves out e-mail addresses, too short names, and bodies without @', () => {
    expect(mentionedUsernames('write to ada@example.com or @jo')).toEqual([]);
    expect(mentionedUsernames('no mentions here')).toEqual([]);
    expect(mentionedUsernames(null)).toEqual([]);
  });

  it('reads names next to any script, and caps how many one message resolves', () => {
    expect(mentionedUsernames('你好@ada，مرحبا @bob')).toEqual(['ada', 'bob']);
    const many = Array.from({ length: 30 }, (_, i) => `@user${i}`).join(' ');
    expect(mentionedUsernames(many)).toHaveLength(20);
  });
});
