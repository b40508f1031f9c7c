import { ApiError } from '../api/api-error.ts';
import type { GatewaySocket } from '../realtime/gateway-socket.ts';
import type { ChatContext } from './chat-context.ts';
import type { ChatState } from './chat-state.ts';

/** Connects the socket unless stopped, already connected, or the browser is offline. */
export function connect(context: ChatContext): void {
  const { socket } = context;
  if (context.stopped || !socket || socket.connected) return;
  if (!navigator.onLine) return;
  setConnection(context, 'connecting');
  socket.connect();
}

export function setConnection(context: ChatContext, connection: ChatState['connection']): void {
  context.store.update((state) => (state.connection === connection ? state : { ...state, connection }));
}

/** The server refused or closed the socket for its token: refresh it and come back. */
export function reauthenticate(context: ChatContext): void {
  context.auth
    .refresh()
    .then(() => connect(context))
    .catch((error: unknown) => {
      // Signed out (401) ends here: the app returns to the sign-in screen. Else try again soon.
      if (!(error instanceof ApiError && error.status === 401))
        setTimeout(() => reauthenticate(context), 3000);
    });
}

/** Renew the socket's token whenever the session refreshes, so it is never cut for expiry. */
export function renewTokenOnRefresh(context: ChatContext, socket: GatewaySocket): () => void {
  return context.auth.subscribe((session) => {
    if (session && socket.connected) socket.emit('auth:refresh', { token: session.accessToken }, () => {});
  });
}

/** The browser knows before a heartbeat does: say so at once, and reconnect when back. */
export function followBrowserOnline(context: ChatContext, socket: GatewaySocket): () => void {
  const offline = () => {
    setConnection(context, 'offline');
    socket.disconnect();
  };
  const online = () => connect(context);
  window.addEventListener('offline', offline);
  window.addEventListener('online', online);
  return () => {
    window.removeEventListener('offline', offline);
    window.removeEventListener('online', online);
  };
}
