import type { EventEnvelope } from '@palaver/contracts';
import amqp from 'amqplib';

export interface EventRecorder {
  events: EventEnvelope[];
  /** Resolves with the first recorded event matching `predicate`, or rejects after `timeoutMs`. */
  waitFor: (predicate: (event: EventEnvelope) => boolean, timeoutMs?: number) => Promise<EventEnvelope>;
  close: () => Promise<void>;
}

/** Records every event published on `exchange` matching `pattern`, through a real queue. */
export async function recordEvents(amqpUrl: string, exchange: string, pattern = '#'): Promise<EventRecorder> {
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, pattern);
  const events: EventEnvelope[] = [];
  const waiters = new Set<() => void>();
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      events.push(JSON.parse(message.content.toString('utf8')) as EventEnvelope);
      for (const wake of waiters) wake();
    },
    { noAck: true },
  );

  const waitFor: EventRecorder['waitFor'] = (predicate, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find(predicate);
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`no matching event within ${timeoutMs} ms; saw ${events.map((e) => e.type).join(', ')}`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    events,
    waitFor,
    close: async () => {
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close();
    },
  };
}
