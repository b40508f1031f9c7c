import { readFileSync } from 'node:fs';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import {
  AuthRefreshPayload,
  Password,
  SendMessageBody,
  SyncPayload,
  UpdateMeBody,
  Username,
} from './index.ts';
import * as limits from './limits.ts';
import { mentionedName, mentionPattern } from './mentions.ts';
import {
  AddMembersBody,
  ConversationListQuery,
  HistoryQuery,
  MessageBody,
  UpdateConversationBody,
} from './messages.ts';
import { SearchQuery } from './search.ts';

const id = (n: number) => n.toString(16).padStart(24, '0');

/** Accepts a value at `limit` and refuses one past it. */
function bounded(schema: Parameters<typeof TypeCompiler.Compile>[0], at: unknown, past: unknown) {
  const check = TypeCompiler.Compile(schema);
  return [check.Check(at), check.Check(past)];
}

describe('the limits module', () => {
  it('imports nothing, so a browser bundle can take it without TypeBox', () => {
    for (const file of ['limits.ts', 'mentions.ts']) {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]);
      expect(
        imports.every((from) => from === './limits.ts'),
        file,
      ).toBe(true);
    }
  });

  it('holds only numbers', () => {
    const { pageLimits, ...scalars } = limits;
    for (const [name, value] of Object.entries(scalars)) expect(Number.isInteger(value), name).toBe(true);
    for (const page of Object.values(pageLimits)) expect(page.default).toBeLessThanOrEqual(page.max);
  });

  it('bounds the message schemas', () => {
    expect(MessageBody.maxLength).toBe(limits.maxMessageBodyLength);
    expect(
      bounded(
        SendMessageBody,
        {
          clientMessageId: 'x'.repeat(limits.maxClientMessageIdLength),
          body: 'a'.repeat(limits.maxMessageBodyLength),
        },
        { clientMessageId: 'x', body: 'a'.repeat(limits.maxMessageBodyLength + 1) },
      ),
    ).toEqual([true, false]);
    const attachments = (count: number) => Array.from({ length: count }, (_, i) => ({ uploadId: id(i) }));
    expect(
      bounded(
        SendMessageBody,
        { clientMessageId: 'x', attachments: attachments(limits.maxAttachments) },
        { clientMessageId: 'x', attachments: attachments(limits.maxAttachments + 1) },
      ),
    ).toEqual([true, false]);
  });

  it('bounds the conversation schemas', () => {
    const userIds = (count: number) => Array.from({ length: count }, (_, i) => id(i));
    expect(
      bounded(
        AddMembersBody,
        { userIds: userIds(limits.maxGroupMembers - 1) },
        { userIds: userIds(limits.maxGroupMembers) },
      ),
    ).toEqual([true, false]);
    expect(UpdateConversationBody.properties.title.maxLength).toBe(limits.maxGroupTitleLength);
    expect(ConversationListQuery.properties.limit).toMatchObject({
      maximum: limits.pageLimits.conversations.max,
      default: limits.pageLimits.conversations.default,
    });
    expect(HistoryQuery.properties.limit).toMatchObject({ maximum: limits.pageLimits.history.max });
  });

  it('bounds the account schemas', () => {
    expect([Username.minLength, Username.maxLength]).toEqual([
      limits.minUsernameLength,
      limits.maxUsernameLength,
    ]);
    expect([Password.minLength, Password.maxLength]).toEqual([
      limits.minPasswordLength,
      limits.maxPasswordLength,
    ]);
    expect(UpdateMeBody.properties.displayName.maxLength).toBe(limits.maxDisplayNameLength);
    expect(AuthRefreshPayload.properties.token.maxLength).toBe(limits.maxAccessTokenLength);
  });

  it('bounds sync and search', () => {
    const cursors = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [id(i), 0]));
    expect(
      bounded(
        SyncPayload,
        { cursors: cursors(limits.maxSyncConversations) },
        { cursors: cursors(limits.maxSyncConversations + 1) },
      ),
    ).toEqual([true, false]);
    expect(
      bounded(
        SearchQuery,
        { q: 'a'.repeat(limits.maxSearchQueryLength) },
        { q: 'a'.repeat(limits.maxSearchQueryLength + 1) },
      ),
    ).toEqual([true, false]);
  });

  it('bounds a mention by the username lengths', () => {
    const names = (text: string) => [...text.matchAll(mentionPattern)].map(mentionedName);
    const longest = 'a'.repeat(limits.maxUsernameLength);
    expect(names(`hi @bob and @${longest}.`)).toEqual(['bob', longest]);
    expect(names('hi @bo')).toEqual([]);
    expect(names(`hi @${longest}a`)).toEqual([]);
    expect(names('mail bob@example.com')).toEqual([]);
  });
});
