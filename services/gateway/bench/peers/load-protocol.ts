/**
 * The wire formats the lean load generator speaks, written out by hand so a client costs a
 * websocket and a few string operations: Engine.IO v4 / Socket.IO v5 (Palaver and the bare
 * Socket.IO server) and Centrifugo's JSON protocol. Shared by the parent and its workers.
 */

export type Protocol = 'socketio' | 'centrifugo';

/**
 * Every payload the benchmark sends carries `bench-<µs since epoch>` so a receiver in any
 * process can time it (digits only: it doubles as Palaver's clientMessageId).
 */
export const stampMarker = 'bench-';
export const stamp = () => `${stampMarker}${Math.round((performance.timeOrigin + performance.now()) * 1000)}`;

/** Milliseconds since the stamp in `frame`, or undefined when it carries none. */
export function stampAge(frame: string, now: number): number | undefined {
  const at = frame.indexOf(stampMarker);
  if (at < 0) return undefined;
  return now - Number.parseInt(frame.slice(at + stampMarker.length, at + stampMarker.length + 16), 10) / 1000;
}

/** The websocket URL of a server's base URL for a protocol. */
export function socketUrl(protocol: Protocol, base: string): string {
  const ws = base.replace(/^http/, 'ws');
  return protocol === 'socketio'
    ? `${ws}/socket.io/?EIO=4&transport=websocket`
    : `${ws}/connection/websocket`;
}

/** What a client sends once its transport is open (Socket.IO: after the open packet). */
export function connectFrame(protocol: Protocol, auth: Record<string, string>): string {
  return protocol === 'socketio'
    ? `40${JSON.stringify(auth)}`
    : JSON.stringify({ id: 1, connect: { token: auth.token, name: 'bench' } });
}

/** How the server answers a connect: accepted, refused, or not a connect answer. */
export function connectAnswer(protocol: Protocol, frame: string): 'ok' | 'refused' | undefined {
  if (protocol === 'socketio') {
    if (frame.startsWith('40')) return 'ok';
    if (frame.startsWith('44')) return 'refused';
    return undefined;
  }
  if (!frame.startsWith('{"id":1,')) return undefined;
  return frame.includes('"error"') ? 'refused' : 'ok';
}

/**
 * The reply a heartbeat needs, if `frame` is one: Engine.IO ping "2" → pong "3";
 * Centrifugo's empty command `{}` → `{}` (bidirectional ping, protocol v2).
 */
export function heartbeatReply(protocol: Protocol, frame: string): string | undefined {
  if (protocol === 'socketio') return frame === '2' ? '3' : undefined;
  return frame === '{}' ? '{}' : undefined;
}

/** An event (Socket.IO) or command (Centrifugo) a client sends during a workload. */
export type Outgoing =
  | { kind: 'emit'; event: string; payload: Record<string, unknown> }
  | { kind: 'subscribe'; channel: string }
  | { kind: 'publish'; channel: string; data: Record<string, unknown> };

/** The frame for `outgoing`; `id` numbers Socket.IO acks and Centrifugo commands. */
export function outgoingFrame(protocol: Protocol, outgoing: Outgoing, id: number): string {
  if (protocol === 'socketio') {
    if (outgoing.kind !== 'emit') throw new Error(`${outgoing.kind} is a Centrifugo command`);
    return `42${id}${JSON.stringify([outgoing.event, outgoing.payload])}`;
  }
  if (outgoing.kind === 'subscribe') return JSON.stringify({ id, subscribe: { channel: outgoing.channel } });
  if (outgoing.kind === 'publish')
    return JSON.stringify({ id, publish: { channel: outgoing.channel, data: outgoing.data } });
  throw new Error('emit is a Socket.IO event');
}

/** The id a reply frame answers, if it is one. */
export function replyId(protocol: Protocol, frame: string): number | undefined {
  const match = protocol === 'socketio' ? /^43(\d+)\[/.exec(frame) : /^\{"id":(\d+),/.exec(frame);
  return match ? Number(match[1]) : undefined;
}

/** One message stamped for the receivers: the payload of `emit` or `publish`. */
export const stampedPayload = (extra: Record<string, unknown> = {}) => ({ ...extra, bench: stamp() });
