/**
 * The far side of `handoff-bench.ts`: answers the same JSON over HTTP (Fastify, as the
 * message service does) and over RabbitMQ request/reply (a queue consumer answering on
 * `replyTo` with the request's correlation id). No work is done, so only transport counts.
 */
import amqp from 'amqplib';
import Fastify from 'fastify';

const amqpUrl = process.env.AMQP_URL as string;
const queue = process.env.RPC_QUEUE as string;

const app = Fastify();
app.post('/conversations/:id/messages', async (request) => ({ echoed: request.body }));
app.get('/readyz', async () => ({ status: 'ready' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });

const connection = await amqp.connect(amqpUrl, { noDelay: true });
const channel = await connection.createChannel();
await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
await channel.prefetch(256);
await channel.consume(queue, (message) => {
  if (!message) return;
  const reply = JSON.stringify({ echoed: JSON.parse(message.content.toString()) });
  channel.sendToQueue(message.properties.replyTo, Buffer.from(reply), {
    correlationId: message.properties.correlationId,
    contentType: 'application/json',
  });
  channel.ack(message);
});
process.on('SIGTERM', async () => {
  await connection.close();
  await app.close();
  process.exit(0);
});
