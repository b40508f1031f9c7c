import type { ConnectionState } from '../chat/chat-state.ts';

/** Says when messages cannot flow, and that typed ones will go out later. */
export function ConnectionBanner({ connection, queued }: { connection: ConnectionState; queued: number }) {
  if (connection === 'online') return null;
  const waiting =
    queued > 0 ? ` ${queued} message${queued === 1 ? '' : 's'} will be sent when it is back.` : '';
  return (
    <div className={`connection-banner ${connection}`} role="status">
      {connection === 'offline'
        ? `You are offline. Reconnecting…${waiting || ' Messages you write will be sent when the connection is back.'}`
        : `Connecting…${waiting}`}
    </div>
  );
}
