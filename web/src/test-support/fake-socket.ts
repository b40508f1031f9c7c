import type { GatewaySocket } from '../realtime/gateway-socket.ts';

type Handler = (...args: unknown[]) => void;
/** Answers one `emitWithAck`; throwing stands for an ack that never came (a timeout). */
export type Answer = (payload: unknown) => unknown;

/**
 * Stands in for the Socket.IO client in chat tests: records what the client emits, answers
 * acked events from a script per event, and lets the test say when the handshake completes
 * and what the server sends.
 */
export class FakeSocket {
  connected = false;
  active = true;
  /** Every `emitWithAck`, in order. */
  readonly asked: { event: string; payload: unknown }[] = [];
  /** Every plain `emit`, in order. */
  readonly emitted: { event: string; payload: unknown }[] = [];
  private readonly answers = new Map<string, Answer[]>();
  private readonly handlers = new Map<string, Handler[]>();

  /** Queues answers to the next `emitWithAck`s of an event; unqueued ones are `{ ok: true }`. */
  answer(event: string, ...answers: Answer[]): this {
    this.answers.set(event, [...(this.answers.get(event) ?? []), ...answers]);
    return this;
  }

  /** The payloads of every `emitWithAck` of one event. */
  payloads<T>(event: string): T[] {
    return this.asked.filter((asked) => asked.event === event).map((asked) => asked.payload as T);
  }

  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  emit(event: string, payload: unknown, ack?: (answer: unknown) => void): this {
    this.emitted.push({ event, payload });
    ack?.({ ok: true });
    return this;
  }
  timeout(_ms: number) {
    return {
      emitWithAck: async (event: string, payload: unknown) => {
        this.asked.push({ event, payload });
        const answer = this.answers.get(event)?.shift();
        if (answer) return answer(payload);
        return event === 'sync' ? { ok: true, conversations: [], gone: [] } : { ok: true };
      },
    };
  }
  /** The client's own connect() waits; the test says when the handshake completes. */
  connect(): this {
    return this;
  }
  open(): void {
    this.connected = true;
    this.fire('connect');
  }
  disconnect(): this {
    this.connected = false;
    return this;
  }
  removeAllListeners(): this {
    this.handlers.clear();
    return this;
  }
  /** An event from the server (or from Socket.IO itself, such as `disconnect`). */
  fire(event: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }
  /** The fake where the client expects the real thing. */
  get asGateway(): GatewaySocket {
    return this as unknown as GatewaySocket;
  }
}
