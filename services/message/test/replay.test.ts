import type { EventData, Message } from '@palaver/contracts';
import { createLogger } from '@palaver/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayMessages } from '../src/events/message-replay.ts';
import { clientId, makeUser, type RecordedMessageHarness, startRecordedMessage } from './message-harness.ts';

// Rebuilding a read model: every stored message republished as it is now.
let service: RecordedMessageHarness;
beforeAll(async () => {
  service = await startRecordedMessage('replay', 'message.snapshot');
});
afterAll(() => service?.close());

const send = async (user: Awaited<ReturnType<typeof makeUser>>, conversationId: string, body: string) => {
  const response = await service.send(user, conversationId, { clientMessageId: clientId(), body });
  expect(response.statusCode).toBe(201);
  return response.json() as Message;
};

describe('replayMessages', () => {
  it('publishes each stored message once as it is now (edited, deleted, reacted, in threads), system lines left out', async () => {
    const [ada, bob, cy] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const direct = await service.createDirect(ada, bob);
    const group = await service.createGroup(ada, [bob]);
    await service.app.inject({
      method: 'POST',
      url: `/conversations/${group.id}/members`,
      headers: ada.headers,
      payload: { userIds: [cy.id] },
    }); // a system line
    const first = await send(ada, direct.id, 'first draft');
    const gone = await send(bob, direct.id, 'regrettable');
    const many: Message[] = [];
    for (let n = 0; n < 60; n++) many.push(await send(bob, group.id, `group line ${n}`)); // more than a block
    const headers = (user: typeof ada) => user.headers;
    await service.app.inject({
      method: 'PATCH',
      url: `/conversations/${direct.id}/messages/${first.seq}`,
      headers: headers(ada),
      payload: { body: 'final words' },
    });
    await service.app.inject({
      method: 'DELETE',
      url: `/conversations/${direct.id}/messages/${gone.seq}`,
      headers: headers(bob),
    });
    await service.app.inject({
      method: 'PUT',
      url: `/conversations/${group.id}/messages/${many[0]?.seq}/reactions/${encodeURIComponent('🎉')}`,
      headers: headers(ada),
    });
    await service.send(cy, group.id, {
      clientMessageId: clientId(),
      body: 'in a thread',
      threadRootSeq: many[0]?.seq,
    });

    const totals = await replayMessages({
      mongo: service.mongo,
      broker: service.broker,
      logger: createLogger('replay-test', 'silent'),
    });
    const ours = (conversationId: string) =>
      service.events.events
        .map((event) => (event.data as EventData<'message.snapshot'>).message)
        .filter((message) => message.conversationId === conversationId);
    await expect.poll(() => ours(direct.id).length + ours(group.id).length, { timeout: 10_000 }).toBe(63);
    expect(totals.messages).toBeGreaterThanOrEqual(63); // other tests' conversations in this database too

    const [edited, deleted] = ours(direct.id).toSorted((a, b) => a.seq - b.seq);
    expect(edited).toMatchObject({ body: 'final words', editedAt: expect.any(String) });
    expect(deleted).toMatchObject({ body: null, deletedAt: expect.any(String) });
    const inGroup = ours(group.id);
    expect(inGroup.every((message) => message.kind !== 'system')).toBe(true);
    expect(new Set(inGroup.map((message) => message.id)).size).toBe(inGroup.length);
    const root = inGroup.find((message) => message.id === many[0]?.id);
    expect(root?.reactions).toEqual([{ emoji: '🎉', userIds: [ada.id] }]);
    expect(root?.thread?.replyCount).toBe(1);
    expect(inGroup.find((message) => message.body === 'in a thread')?.threadRootSeq).toBe(root?.seq);
  });
});
