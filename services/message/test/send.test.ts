import { requestStartHeader } from '@palaver/service-kit';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientId,
  type MessageHarness,
  makeUser,
  makeUsers,
  startMessage,
  type TestUser,
} from './message-harness.ts';

const [ada, bob] = await makeUsers(2);
let service: MessageHarness;
let replica: MessageHarness;
let conversationId: string;
beforeAll(async () => {
  service = await startMessage('send');
  replica = await startMessage('send', { sameAs: service });
  conversationId = (await service.createDirect(ada, bob)).id;
});
afterAll(async () => {
  await replica.close();
  await service.close();
});

describe('POST /conversations/:id/messages', () => {
  it('stores the message and answers with it, seq assigned', async () => {
    const cid = clientId();
    const response = await service.send(ada, conversationId, { clientMessageId: cid, body: 'hello 👋' });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      conversationId,
      senderId: ada.id,
      clientMessageId: cid,
      kind: 'text',
      body: 'hello 👋',
      attachments: [],
      editedAt: null,
      deletedAt: null,
    });
    expect(response.json().seq).toBeGreaterThanOrEqual(1);
    const stored = await service.mongo.collection('messages').findOne({ clientMessageId: cid });
    expect(stored?.body).toBe('hello 👋');
  });

  it('returns the original for a retried clientMessageId, never a duplicate', async () => {
    const cid = clientId();
    const first = await service.send(ada, conversationId, { clientMessageId: cid, body: 'once' });
    const retries = await Promise.all([
      service.send(ada, conversationId, { clientMessageId: cid, body: 'once' }),
      replica.send(ada, conversationId, { clientMessageId: cid, body: 'once' }),
    ]);
    for (const retry of retries) {
      expect(retry.statusCode).toBe(200);
      expect(retry.json()).toEqual(first.json());
    }
    expect(await service.mongo.collection('messages').countDocuments({ clientMessageId: cid })).toBe(1);
  });

  it('stores concurrent first attempts of one send once', async () => {
    const cid = clientId();
    const attempts = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        (i % 2 ? replica : service).send(bob, conversationId, { clientMessageId: cid, body: 'x' }),
      ),
    );
    expect(attempts.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(attempts.map((a) => a.json().id)).size).toBe(1);
  });

  it('refuses a clientMessageId reused for another conversation with 409', async () => {
    const carol = await makeUser();
    const other = (await service.createDirect(ada, carol)).id;
    const cid = clientId();
    await service.send(ada, conversationId, { clientMessageId: cid, body: 'first' });
    const reused = await service.send(ada, other, { clientMessageId: cid, body: 'second' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().error?.code).toBe('client_message_id_reused');
  });

  /** Sends `perSender` messages from each sender concurrently; returns the acked seqs. */
  async function sendConcurrently(
    senders: TestUser[],
    perSender: number,
    groupId: string,
    replicas: MessageHarness[],
  ) {
    const acked: number[] = [];
    await Promise.all(
      senders.map(async (sender, s) => {
        for (let i = 0; i < perSender; i++) {
          const target = replicas[(s + i) % replicas.length] as MessageHarness;
          const response = await target.send(sender, groupId, {
            clientMessageId: `s${s}m${i}`,
            body: `${s}/${i}`,
          });
          expect(response.statusCode).toBe(201);
          acked.push(response.json().seq);
        }
      }),
    );
    return acked;
  }

  async function storedSeqs(groupId: string) {
    const found = await service.mongo
      .collection('messages')
      .find({ conversationId: new Types.ObjectId(groupId) })
      .project({ seq: 1 })
      .toArray();
    return found.map((m) => m.seq as number).sort((a, b) => a - b);
  }

  /** The conversation's last seq, as a member reads it. */
  const lastSeqOf = async (conversationId: string, member: TestUser) =>
    (
      await service.app.inject({
        method: 'GET',
        url: `/conversations/${conversationId}`,
        headers: member.headers,
      })
    ).json().lastSeq;
  const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('gives 20 concurrent senders × 200 messages seq 1..4000 with no gap or duplicate', async () => {
    const senders = await Promise.all(Array.from({ length: 20 }, () => makeUser()));
    const group = await service.createGroup(senders[0] as TestUser, senders.slice(1), 'load');
    const acked = await sendConcurrently(senders, 200, group.id, [service]);
    expect(await storedSeqs(group.id)).toEqual(oneToN(4000));
    expect(acked.sort((a, b) => a - b)).toEqual(oneToN(4000));
    expect(await lastSeqOf(group.id, senders[0] as TestUser)).toBe(4000);
  }, 400_000);

  it('keeps seq gapless when a batch of more than 100 sends holds immediate retries', async () => {
    // FerretDB goes on past a duplicate after its first 100 documents: the appender must
    // check what was stored rather than trust the insert to have stopped there.
    const senders = await Promise.all(Array.from({ length: 10 }, () => makeUser()));
    const group = await service.createGroup(senders[0] as TestUser, senders.slice(1), 'retries');
    const sends = Array.from({ length: 230 }, (_, i) => ({
      user: senders[i % senders.length] as TestUser,
      clientMessageId: `burst-${i}`,
    }));
    const send = ({ user, clientMessageId }: (typeof sends)[number]) =>
      service.send(user, group.id, { clientMessageId, body: clientMessageId });
    // 20 stored first; then the other 210 arrive at once with those 20 again (retries), so
    // one batch of more than 100 holds duplicates of stored messages.
    const first = await Promise.all(sends.slice(0, 20).map(send));
    const rest = await Promise.all([...sends.slice(20), ...sends.slice(0, 20)].map(send));
    const answers = [...first, ...rest];
    expect(answers.map((a) => a.statusCode).filter((status) => status >= 300)).toEqual([]);
    expect(await storedSeqs(group.id)).toEqual(oneToN(230));
    const seqByClientId = new Map<string, number>();
    for (const answer of answers) {
      const { clientMessageId, seq } = answer.json();
      expect(seqByClientId.get(clientMessageId) ?? seq).toBe(seq);
      seqByClientId.set(clientMessageId, seq);
    }
    expect(seqByClientId.size).toBe(230);
    expect(await lastSeqOf(group.id, senders[0] as TestUser)).toBe(230);
  }, 120_000);

  it('refuses sends past SEND_IN_FLIGHT_MAX before any work, with Retry-After, and recovers', async () => {
    const narrow = await startMessage('send', { sameAs: service, env: { SEND_IN_FLIGHT_MAX: '3' } });
    try {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          narrow.send(ada, conversationId, { clientMessageId: `narrow-${i}`, body: 'x' }),
        ),
      );
      const refused = answers.filter((a) => a.statusCode === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]?.json().error?.code).toBe('unavailable');
      expect((refused[0] as unknown as { headers: Record<string, string> }).headers['retry-after']).toBe('1');
      expect(answers.filter((a) => a.statusCode === 201).length + refused.length).toBe(30);
      // Once the burst is over, every slot is free again.
      const after = await narrow.send(ada, conversationId, { clientMessageId: clientId(), body: 'after' });
      expect(after.statusCode).toBe(201);
    } finally {
      await narrow.close();
    }
  });

  it('refuses a send that queued past SEND_QUEUE_TIME_MAX_MS behind the edge, before storing it', async () => {
    const stamped = (clientMessageId: string, age: number) =>
      service.app.inject({
        method: 'POST',
        url: `/conversations/${conversationId}/messages`,
        headers: { ...ada.headers, 'x-request-start': requestStartHeader(Date.now() - age) },
        payload: { clientMessageId, body: 'stamped' },
      });
    const stale = clientId();
    const refused = await stamped(stale, 5_000);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('unavailable');
    expect(refused.headers['retry-after']).toBe('1');
    expect(await service.mongo.collection('messages').findOne({ clientMessageId: stale })).toBeNull();
    // Fresh, the same send is stored.
    expect((await stamped(stale, 10)).statusCode).toBe(201);
  });

  it("meters each user's sends across replicas: 429 with Retry-After past SEND_BURST, others unaffected, then recovers", async () => {
    const env = { SEND_RATE: '2', SEND_BURST: '5' };
    const [one, two] = await Promise.all([
      startMessage('send', { sameAs: service, env }),
      startMessage('send', { sameAs: service, env }),
    ]);
    try {
      const [carol, dave] = await Promise.all([makeUser(), makeUser()]);
      const chat = (await one.createDirect(carol, dave)).id;
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? two : one).send(carol, chat, { clientMessageId: clientId(), body: `${i}` }),
        ),
      );
      expect(answers.filter((a) => a.statusCode === 201).length).toBe(5);
      const limited = answers.filter((a) => a.statusCode === 429);
      expect(limited.length).toBe(3);
      for (const answer of limited) {
        expect(answer.json().error?.code).toBe('rate_limited');
        expect(
          Number((answer as unknown as { headers: Record<string, string> }).headers['retry-after']),
        ).toBeGreaterThanOrEqual(1);
      }
      expect((await two.send(dave, chat, { clientMessageId: clientId(), body: 'mine' })).statusCode).toBe(
        201,
      );
      await new Promise((resolve) => setTimeout(resolve, 600)); // one token at 2/s
      expect((await one.send(carol, chat, { clientMessageId: clientId(), body: 'later' })).statusCode).toBe(
        201,
      );
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('sheds load past SEND_QUEUE_MAX: 503 unavailable with Retry-After, and what it took stays gapless', async () => {
    const small = await startMessage('send', { sameAs: service, env: { SEND_QUEUE_MAX: '2' } });
    try {
      const senders = await Promise.all(Array.from({ length: 5 }, () => makeUser()));
      const group = await small.createGroup(senders[0] as TestUser, senders.slice(1), 'shed');
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          small.send(senders[i % 5] as TestUser, group.id, { clientMessageId: `shed-${i}`, body: 'x' }),
        ),
      );
      const refused = answers.filter((a) => a.statusCode === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const answer of refused) {
        expect(answer.json().error?.code).toBe('unavailable');
        expect((answer as unknown as { headers: Record<string, string> }).headers['retry-after']).toBe('1');
      }
      const accepted = answers.filter((a) => a.statusCode === 201);
      expect(accepted.length + refused.length).toBe(60);
      expect(await storedSeqs(group.id)).toEqual(oneToN(accepted.length));
    } finally {
      await small.close();
    }
  });

  it('keeps seq gapless when two replicas write one conversation at once', async () => {
    const senders = await Promise.all(Array.from({ length: 10 }, () => makeUser()));
    const group = await service.createGroup(senders[0] as TestUser, senders.slice(1), 'replicas');
    const acked = await sendConcurrently(senders, 20, group.id, [service, replica]);
    expect(await storedSeqs(group.id)).toEqual(oneToN(200));
    expect(acked.sort((a, b) => a - b)).toEqual(oneToN(200));
  }, 120_000);

  it('accepts attachments the sender uploaded, learned from upload.created', async () => {
    const uploadId = '65f0a0a0a0a0a0a0a0a0a0a1';
    await service.broker.publish('upload.created', {
      upload: {
        uploadId,
        uploaderId: ada.id,
        name: 'cat.png',
        mime: 'image/png',
        size: 1234,
        width: 640,
        height: 480,
      },
    });
    let response = await service.send(ada, conversationId, {
      clientMessageId: clientId(),
      attachments: [{ uploadId }],
    });
    for (let i = 0; i < 50 && response.statusCode === 400; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await service.send(ada, conversationId, {
        clientMessageId: clientId(),
        attachments: [{ uploadId }],
      });
    }
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      kind: 'image',
      body: null,
      attachments: [{ uploadId, name: 'cat.png', mime: 'image/png', size: 1234, width: 640, height: 480 }],
    });
    // Someone else's upload (or one that does not exist) is refused.
    const foreign = await service.send(bob, conversationId, {
      clientMessageId: clientId(),
      attachments: [{ uploadId }],
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error?.code).toBe('attachment_not_found');
  });

  it('is 404 for a non-member and for an unknown conversation', async () => {
    const stranger = await makeUser();
    for (const [user, id] of [
      [stranger, conversationId],
      [ada, '0'.repeat(24)],
    ] as const) {
      const response = await service.send(user, id, { clientMessageId: clientId(), body: 'hi' });
      expect(response.statusCode).toBe(404);
      expect(response.json().error?.code).toBe('not_found');
    }
  });

  it('requires a valid token', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: `/conversations/${conversationId}/messages`,
      payload: { clientMessageId: clientId(), body: 'hi' },
    });
    expect(response.statusCode).toBe(401);
  });

  it.each([
    ['no body and no attachments', { clientMessageId: 'abc' }, 'empty_message'],
    ['a numeric body', { clientMessageId: 'abc', body: 42 }, 'invalid_request'],
    ['an empty body', { clientMessageId: 'abc', body: '' }, 'invalid_request'],
    ['a 4001-character body', { clientMessageId: 'abc', body: 'x'.repeat(4001) }, 'invalid_request'],
    ['a control character', { clientMessageId: 'abc', body: 'beep\u0007' }, 'invalid_request'],
    ['a missing clientMessageId', { body: 'hi' }, 'invalid_request'],
    ['an operator as clientMessageId', { clientMessageId: { $gt: '' }, body: 'hi' }, 'invalid_request'],
    ['a clientMessageId with spaces', { clientMessageId: 'a b', body: 'hi' }, 'invalid_request'],
    [
      'an invalid upload id',
      { clientMessageId: 'abc', attachments: [{ uploadId: 'nope' }] },
      'invalid_request',
    ],
    [
      '11 attachments',
      {
        clientMessageId: 'abc',
        attachments: Array.from({ length: 11 }, (_, i) => ({ uploadId: `${i}`.padStart(24, '0') })),
      },
      'invalid_request',
    ],
    ['an extra field', { clientMessageId: 'abc', body: 'hi', seq: 1 }, 'invalid_request'],
  ])('rejects %s with 400 and stores nothing', async (_label, payload, code) => {
    const inConversation = { conversationId: new Types.ObjectId(conversationId) };
    const before = await service.mongo.collection('messages').countDocuments(inConversation);
    const response = await service.send(ada, conversationId, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error?.code).toBe(code);
    expect(await service.mongo.collection('messages').countDocuments(inConversation)).toBe(before);
  });

  it('keeps newlines, tabs and any script in a body', async () => {
    const body = 'line one\n\tline two — ünïcødé 中文 🧪';
    const response = await service.send(ada, conversationId, { clientMessageId: clientId(), body });
    expect(response.json().body).toBe(body);
  });

  it('rejects a malformed conversation id with 400', async () => {
    const response = await service.send(ada, 'not-an-id', { clientMessageId: clientId(), body: 'hi' });
    expect(response.statusCode).toBe(400);
  });
});
