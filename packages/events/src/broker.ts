import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  EventCatalogue,
  type EventData,
  type EventEnvelope,
  type EventType,
  IsoDateTime,
  registerFormats,
} from '@palaver/contracts';
import type { Logger } from '@palaver/logger';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';

export interface BrokerOptions {
  url: string;
  /** Durable topic exchange carrying every `domain.action` event. */
  exchange: string;
  logger: Logger;
  /** Shown in the broker's connection list. */
  connectionName: string;
}

export interface ConsumerSpec {
  queue: string;
  /** Routing-key patterns bound to the queue. */
  bindings: string[];
  /**
   * A queue of this process's own rather than one shared by replicas: it outlives a lost
   * connection, so events published while the process reconnects wait for it instead of
   * being lost with an exclusive queue, and the broker deletes it once it has had no
   * consumer for this long (the process is gone for good).
   */
  ownQueueExpiresAfterMs?: number;
  prefetch?: number;
  handle: (event: EventEnvelope, raw: ConsumeMessage) => Promise<void>;
}

/** Reconnect attempts back off to this at most: a broker back after an outage is found within ~2 s. */
const maxBackoffMs = 2000;

/**
 * One AMQP connection that reconnects by itself, a confirm channel for publishing and
 * the consumers re-declared after every reconnect. `publish` resolves only once the
 * broker has confirmed the message, so "published" means stored by the broker.
 */
export class Broker {
  private connection: ChannelModel | undefined;
  private publishChannel: ConfirmChannel | undefined;
  private readonly consumers: ConsumerSpec[] = [];
  private readonly connectedListeners: (() => void)[] = [];
  private consumeChannels: Channel[] = [];
  private closing = false;
  private attempt = 0;
  private connecting: Promise<void> | undefined;
  private readonly options: BrokerOptions;

  constructor(options: BrokerOptions) {
    this.options = options;
  }

  get connected(): boolean {
    return this.publishChannel !== undefined;
  }

  /** Connects once; on failure keeps retrying in the background and resolves anyway. */
  async start(): Promise<void> {
    await this.connect().catch(() => this.scheduleReconnect());
  }

  /** Calls `listener` after every connect, the first and each reconnect, once publishing works. */
  onConnected(listener: () => void): void {
    this.connectedListeners.push(listener);
  }

  /** Resolves when connected, rejects otherwise: for readiness checks. */
  async check(): Promise<void> {
    if (!this.connected) throw new Error('not connected to the broker');
  }

  async publish<T extends EventType>(type: T, data: EventData<T>, id: string = randomUUID()): Promise<void> {
    const channel = this.publishChannel;
    if (!channel) throw new Error('not connected to the broker');
    const envelope: EventEnvelope<T> = {
      id,
      type,
      version: EventCatalogue[type].version,
      occurredAt: new Date().toISOString(),
      data,
    };
    const body = Buffer.from(JSON.stringify(envelope));
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        this.options.exchange,
        type,
        body,
        { persistent: true, messageId: id, contentType: 'application/json', type },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  /** Registers a consumer; it is (re)attached on every connection. */
  async consume(spec: ConsumerSpec): Promise<void> {
    this.consumers.push(spec);
    if (this.connection) await this.attach(this.connection, spec);
  }

  /** Messages waiting in a queue (consumer lag), or undefined while disconnected. */
  async queueDepth(queue: string): Promise<number | undefined> {
    const connection = this.connection;
    if (!connection) return undefined;
    // A throwaway channel: checkQueue on a missing queue closes the channel it runs on.
    // Opening it fails too when the connection is going down: that is "unknown", not an error.
    const channel = await connection.createChannel().catch(() => undefined);
    if (!channel) return undefined;
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return undefined;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.connecting?.catch(() => undefined);
    const connection = this.connection;
    this.connection = undefined;
    this.publishChannel = undefined;
    if (!connection) return;
    // amqplib resolves close() only on the broker's CloseOk; when the socket ends first
    // that never comes, and with no handle left the process would exit mid-shutdown.
    // The connection's 'close' event comes either way.
    await Promise.race([connection.close(), once(connection, 'close')]).catch(() => undefined);
  }

  private connect(): Promise<void> {
    this.connecting = this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const { url, exchange, logger, connectionName } = this.options;
    // TCP_NODELAY: small frames (publishes, confirms, acks) must not wait on Nagle's algorithm.
    const connection = await amqp.connect(url, {
      noDelay: true,
      clientProperties: { connection_name: connectionName },
    });
    connection.on('error', (err) => logger.warn({ err }, 'broker connection error'));
    connection.on('close', () => {
      this.connection = undefined;
      this.publishChannel = undefined;
      this.consumeChannels = [];
      if (!this.closing) {
        logger.warn('broker connection closed; reconnecting');
        this.scheduleReconnect();
      }
    });
    const channel = await connection.createConfirmChannel();
    channel.on('error', (err) => logger.warn({ err }, 'broker channel error'));
    await channel.assertExchange(exchange, 'topic', { durable: true });
    this.connection = connection;
    for (const spec of this.consumers) await this.attach(connection, spec);
    this.publishChannel = channel;
    this.attempt = 0;
    logger.info({ exchange }, 'connected to the broker');
    for (const listener of this.connectedListeners) listener();
  }

  private scheduleReconnect() {
    if (this.closing) return;
    // Jittered, so the replicas of every service do not all knock at the same instant.
    const delay = Math.round(Math.min(maxBackoffMs, 250 * 2 ** this.attempt++) * (0.5 + Math.random() / 2));
    setTimeout(() => {
      if (this.closing || this.connection) return;
      this.connect().catch((err) => {
        this.options.logger.warn({ err, retryInMs: delay }, 'broker unreachable');
        this.scheduleReconnect();
      });
    }, delay).unref();
  }

  private async attach(connection: ChannelModel, spec: ConsumerSpec) {
    const { logger, exchange } = this.options;
    const channel = await connection.createChannel();
    this.consumeChannels.push(channel);
    await channel.prefetch(spec.prefetch ?? 50);
    await channel.assertQueue(spec.queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        ...(spec.ownQueueExpiresAfterMs ? { 'x-expires': spec.ownQueueExpiresAfterMs } : {}),
      },
    });
    for (const key of spec.bindings) await channel.bindQueue(spec.queue, exchange, key);
    await channel.consume(spec.queue, (message) => {
      if (!message) return;
      const parsed = parseEnvelope(message.content);
      if (!parsed.ok) {
        logger.warn(
          { routingKey: message.fields.routingKey, eventId: parsed.id, reason: parsed.reason },
          'dropping malformed event',
        );
        channel.nack(message, false, false);
        return;
      }
      const event = parsed.event;
      spec
        .handle(event, message)
        .then(
          () => channel.ack(message),
          (err) => {
            logger.error({ err, eventId: event.id, type: event.type }, 'event handler failed; requeueing');
            // Redelivered once more; a second failure drops it rather than looping forever.
            channel.nack(message, false, !message.fields.redelivered);
          },
        )
        // The channel closed while the handler ran (a lost connection): the broker delivers
        // the unacknowledged event again on the next one, so there is nothing to settle here.
        .catch((err) => logger.warn({ err, eventId: event.id }, 'event not settled: its channel closed'));
    });
  }
}

registerFormats();

/** Per catalogue type, a compiled check of the whole envelope: its own type, version and data schema. */
const envelopeChecks = new Map(
  Object.entries(EventCatalogue).map(([type, { version, data }]) => [
    type,
    TypeCompiler.Compile(
      Type.Object({
        id: Type.String({ minLength: 1 }),
        type: Type.Literal(type),
        version: Type.Literal(version),
        occurredAt: IsoDateTime,
        data,
      }),
    ),
  ]),
);

/** A broker message read as an event, or why not (with the event's id when it has one). */
export type ParsedEnvelope = { ok: true; event: EventEnvelope } | { ok: false; reason: string; id?: string };

/**
 * Reads a broker message as an event of the catalogue: JSON, a known type at its current
 * version, and `data` matching that type's schema (fields beyond the schema's are let through).
 * Anything else is refused with the reason, for the log.
 */
export function parseEnvelope(content: Buffer): ParsedEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const { id, type, version } = (value ?? {}) as Partial<Record<keyof EventEnvelope, unknown>>;
  const named = typeof id === 'string' ? { id } : {};
  const check = typeof type === 'string' ? envelopeChecks.get(type) : undefined;
  if (!check) return { ok: false, reason: `unknown type ${String(type).slice(0, 64)}`, ...named };
  if (version !== EventCatalogue[type as EventType].version)
    return { ok: false, reason: `unknown version ${String(version).slice(0, 16)} of ${type}`, ...named };
  if (!check.Check(value)) {
    const error = check.Errors(value).First();
    return { ok: false, reason: `${error?.path || '/'}: ${error?.message ?? 'invalid'}`, ...named };
  }
  return { ok: true, event: value as EventEnvelope };
}
