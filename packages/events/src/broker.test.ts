import { EventEmitter } from 'node:events';
import type { EventData, EventEnvelope } from '@palaver/contracts';
import type { Logger } from '@palaver/logger';
import { storedMessage } from '@palaver/testing/test-messages';
import type { ConsumeMessage } from 'amqplib';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** The one consumer callback the broker registers, captured by the fake channel. */
let deliver: ((message: ConsumeMessage | null) => void) | undefined;
const ack = vi.fn();
const nack = vi.fn();

vi.mock('amqplib', () => {
  const channel = () => ({
    on: vi.fn(),
    prefetch: vi.fn(async () => undefined),
    assertExchange: vi.fn(async () => undefined),
    assertQueue: vi.fn(async () => undefined),
    bindQueue: vi.fn(async () => undefined),
    consume: vi.fn(async (_queue: string, callback: typeof deliver) => {
      deliver = callback;
    }),
    ack,
    nack,
  });
  const connect = vi.fn(async () =>
    Object.assign(new EventEmitter(), {
      createChannel: async () => channel(),
      createConfirmChannel: async () => channel(),
      close: async () => undefined,
    }),
  );
  return { default: { connect } };
});

const { Broker, parseEnvelope } = await import('./broker.ts');

const id = (n: number) => n.toString(16).padStart(24, '0');
const at = '2026-11-25T17:00:00.000Z';
const message = storedMessage();
const created: EventData<'message.created'> = { message, memberIds: [id(3), id(4)] };

const envelope = (fields: Partial<Record<keyof EventEnvelope, unknown>> = {}) => ({
  id: 'message.created:1',
  type: 'message.created',
  version: 1,
  occurredAt: at,
  data: created,
  ...fields,
});
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('parseEnvelope', () => {
  it('takes an event whose data matches its type', () => {
    const parsed = parseEnvelope(bytes(envelope()));
    expect(parsed).toEqual({ ok: true, event: envelope() });
    const revoked = envelope({
      id: 'auth.session.revoked:s1',
      type: 'auth.session.revoked',
      data: { sessionId: 's1', userId: id(3), reason: 'logout', revokedAt: at },
    });
    expect(parseEnvelope(bytes(revoked)).ok).toBe(true);
  });

  it('lets fields beyond the schema through (added by a newer publisher)', () => {
    const parsed = parseEnvelope(bytes(envelope({ data: { ...created, extra: true } })));
    expect(parsed.ok).toBe(true);
  });

  it('refuses data that does not match its type, naming the event and the field', () => {
    const cases = [
      { data: { memberIds: [] } },
      { data: { ...created, memberIds: 'everyone' } },
      { data: { ...created, message: { ...message, seq: 0 } } },
      { data: { ...created, message: { ...message, createdAt: 'now' } } },
      // Well-formed data, but of another type.
      { data: { conversationId: id(2), userId: id(3), muted: true, memberIds: [] } },
    ];
    for (const fields of cases) {
      const parsed = parseEnvelope(bytes(envelope(fields)));
      expect(parsed.ok, JSON.stringify(fields)).toBe(false);
      expect(parsed).toMatchObject({ id: 'message.created:1', reason: expect.stringMatching(/^\/data/) });
    }
  });

  it('refuses envelopes that are not well formed or not of the catalogue', () => {
    expect(parseEnvelope(bytes('{not json'))).toEqual({ ok: false, reason: 'not JSON' });
    expect(parseEnvelope(bytes('null')).ok).toBe(false);
    expect(parseEnvelope(bytes(envelope({ type: 'message.exploded' })))).toMatchObject({
      ok: false,
      id: 'message.created:1',
      reason: 'unknown type message.exploded',
    });
    expect(parseEnvelope(bytes(envelope({ version: 2 }))).ok).toBe(false);
    expect(parseEnvelope(bytes(envelope({ id: '' }))).ok).toBe(false);
    expect(parseEnvelope(bytes(envelope({ occurredAt: 'later' }))).ok).toBe(false);
  });
});

describe('a consumer', () => {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  let broker: InstanceType<typeof Broker> | undefined;

  afterEach(async () => {
    await broker?.close();
    vi.clearAllMocks();
  });

  async function consuming(handle: (event: EventEnvelope) => Promise<void>) {
    broker = new Broker({
      url: 'amqp://fake',
      exchange: 'test.events',
      logger: logger as unknown as Logger,
      connectionName: 'broker-test',
    });
    await broker.start();
    await broker.consume({ queue: 'test.queue', bindings: ['#'], handle });
    return (content: Buffer) => {
      const raw = {
        content,
        fields: { routingKey: 'message.created', redelivered: false },
      } as ConsumeMessage;
      deliver?.(raw);
      return raw;
    };
  }

  it('hands a valid event to its handler and acks it', async () => {
    const handle = vi.fn(async () => undefined);
    const send = await consuming(handle);
    const raw = send(bytes(envelope()));
    await vi.waitFor(() => expect(ack).toHaveBeenCalledWith(raw));
    expect(handle).toHaveBeenCalledWith(envelope(), raw);
    expect(nack).not.toHaveBeenCalled();
  });

  it('drops an event whose data does not match: nack without requeue, logged with its id', async () => {
    const handle = vi.fn(async () => undefined);
    const send = await consuming(handle);
    const raw = send(bytes(envelope({ data: { ...created, message: { ...message, id: 'nope' } } })));
    expect(nack).toHaveBeenCalledWith(raw, false, false);
    expect(handle).not.toHaveBeenCalled();
    expect(ack).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'message.created:1',
        reason: expect.stringContaining('/data/message/id'),
      }),
      'dropping malformed event',
    );
  });
});
