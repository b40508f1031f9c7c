import type { AuthSession } from '../api/auth-session.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import type { GatewaySocket } from '../realtime/gateway-socket.ts';
import type { ChatState } from './chat-state.ts';
import type { ChatStore } from './chat-store.ts';

/** How long to wait for an ack (a send, a `sync`) before treating the attempt as lost. */
export const ackTimeout = 10_000;

/**
 * What the parts of the chat client share: the state, the HTTP API, the session and the
 * gateway socket. {@link ChatClient} owns it; each part reads `socket` and `stopped` when it
 * acts, never a copy taken earlier.
 */
export interface ChatContext {
  readonly store: ChatStore<ChatState>;
  readonly api: PalaverApi;
  readonly auth: AuthSession;
  /** The gateway socket from `start()` on, connected or not. */
  socket: GatewaySocket | null;
  /** Set by `stop()`: nothing loads again or reconnects by itself after it. */
  stopped: boolean;
}

/** The signed-in person's id. */
export const myId = (context: ChatContext): string => context.store.get().me;

/** The socket, when it is connected right now. */
export function connectedSocket(context: ChatContext): GatewaySocket | null {
  const socket = context.socket;
  return socket?.connected ? socket : null;
}
