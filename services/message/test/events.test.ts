import type { EventEnvelope } from '@palaver/contracts';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientId,
  makeUsers,
  type RecordedMessageHarness,
  startMessage,
  startRecordedMessage,
} from './message-harness.ts';

const [ada, bob] = await makeUsers(2);
let service: RecordedMessageHarness;
let chatId: string;
beforeAll(async () => {
  service = await startRecordedMessage('events', '#');
  chatId = (await service.createDirect(ada, bob)).id;
});
afterAll(() => service.close());

const messageIdOf = (event: EventEnvelope) => (event.data as { message?: { id: string } }).message?.id;

describe('events', () => {
  it('publishes message.created with the members to route it to', async () => {
    const sent = (await service.send(ada, chatId, { clientMessageId: clientId(), body: 'routed' })).json();
    const event = await service.events.waitFor(
      (e) => e.type === 'message.created' && messageIdOf(e) === sent.id,
    );
    expect(event).toMatchObject({ version: 1, data: { message: { body: 'routed', seq: sent.seq } } });
    expect((event.data as { memberIds: string[] }).memberIds.sort()).toEqual([ada.id, bob.id].sort());
    // The outbox entry goes once the broker confirmed.
    await expect
      .poll(async () =>
        service.mongo.collection('outbox').countDocuments({ messageIds: new Types.ObjectId(sent.id) }),
      )
      .toBe(0);
  });

  it('publishes message.updated and message.deleted', async () => {
    const sent = (await service.send(ada, chatId, { clientMessageId: clientId(), body: 'v1' })).json();
    const url = `/conversations/${chatId}/messages/${sent.seq}`;
    await service.app.inject({ method: 'PATCH', url, headers: ada.headers, payload: { body: 'v2' } });
    await service.app.inject({ method: 'DELETE', url, headers: ada.headers });
    const updated = await service.events.waitFor(
      (e) => e.type === 'message.updated' && messageIdOf(e) === sent.id,
    );
    expect((updated.data as { message: { body: string } }).message.body).toBe('v2');
    await service.events.waitFor((e) => e.type === 'message.deleted' && messageIdOf(e) === sent.id);
  });

  it('loses no acknowledged message when the broker is down: the relay publishes them later', async () => {
    // A replica whose broker is unreachable acknowledges sends (they are stored) ...
    const cutOff = await startMessage('events', { sameAs: service, amqpUrl: 'amqp://127.0.0.1:1' });
    try {
      const acked: string[] = [];
      for (let i = 0; i < 25; i++) {
        const response = await cutOff.send(bob, chatId, {
          clientMessageId: clientId(),
          body: `offline ${i}`,
        });
        expect(response.statusCode).toBe(201);
        acked.push(response.json().id);
      }
      expect(service.events.events.filter((e) => acked.includes(messageIdOf(e) ?? ''))).toEqual([]);

      // ... and once a connected replica's relay runs, every one of them is published.
      for (let pass = 0; pass < 10 && (await service.relay.flush()) > 0; pass++);
      for (const id of acked)
        await service.events.waitFor((e) => e.type === 'message.created' && messageIdOf(e) === id);
      const published = service.events.events.filter(
        (e) => e.type === 'message.created' && acked.includes(messageIdOf(e) ?? ''),
      );
      expect(new Set(published.map(messageIdOf)).size).toBe(25);
      expect(await service.relay.flush()).toBe(0);
    } finally {
      await cutOff.close();
    }
  });

  it('answers 503 unavailable when MongoDB is unreachable, writing nothing', async () => {
    const broken = await startMessage('events', { sameAs: service });
    await broken.mongo.close(true);
    try {
      const response = await broken.send(ada, chatId, { clientMessageId: clientId(), body: 'nowhere' });
      expect(response.statusCode).toBe(503);
      expect(response.json().error?.code).toBe('unavailable');
      const ready = await broken.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
    } finally {
      await broken.app.close();
      await broken.broker.close();
    }
  });
});
