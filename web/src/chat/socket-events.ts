import { type GatewaySocket, refusalCode } from '../realtime/gateway-socket.ts';
import { type ChatContext, myId } from './chat-context.ts';
import { mentionsMe } from './chat-state.ts';
import { connect, reauthenticate, setConnection } from './connection.ts';
import { type Conversations, updateConversation } from './conversations.ts';
import type { Messages } from './messages.ts';
import { applyUser } from './profile.ts';
import { acknowledgeDelivery, applyReceipt } from './receipts.ts';
import type { Sync } from './sync.ts';
import { type TypingSignal, withTyping } from './typing.ts';
import { withBlocked } from './users.ts';

/** The parts of the chat client that server events drive. */
export interface SocketEventTargets {
  context: ChatContext;
  conversations: Conversations;
  messages: Messages;
  sync: Sync;
  typing: TypingSignal;
}

/** Binds every Socket.IO server→client event of the gateway socket to the chat state. */
export function bindSocketEvents(socket: GatewaySocket, targets: SocketEventTargets): void {
  bindConnectionEvents(socket, targets);
  bindMessageEvents(socket, targets);
  bindConversationEvents(socket, targets);
  bindPeopleEvents(socket, targets);
}

/** Connects, disconnects and refusals: the connection state, and what follows each. */
function bindConnectionEvents(socket: GatewaySocket, { context, sync, typing }: SocketEventTargets): void {
  let connectedBefore = false;
  socket.on('connect', () => {
    setConnection(context, 'online');
    typing.reset();
    const reconnect = connectedBefore;
    connectedBefore = true;
    void sync.catchUp(reconnect);
  });
  socket.on('disconnect', (reason) => {
    setConnection(context, 'offline');
    context.store.update((state) => ({ ...state, typing: {} }));
    // The server closed it (token expired, replica draining): refresh and come back.
    if (reason === 'io server disconnect') reauthenticate(context);
  });
  socket.on('connect_error', (error) => {
    setConnection(context, 'offline');
    const code = refusalCode(error);
    if (code === 'token_expired' || code === 'unauthorized') reauthenticate(context);
    else if (!socket.active) setTimeout(() => connect(context), 1000);
  });
}

function bindMessageEvents(socket: GatewaySocket, { context, messages }: SocketEventTargets): void {
  socket.on('message:received', ({ message }) => {
    const me = myId(context);
    if (message.senderId !== me && mentionsMe(message, me)) {
      updateConversation(context.store, message.conversationId, (state) => ({
        ...state,
        unreadMentions: state.unreadMentions + 1,
      }));
    }
    messages.receive([message], false);
    if (message.senderId !== me) acknowledgeDelivery(context, message.conversationId);
  });
  socket.on('message:updated', ({ message, changeSeq }) =>
    messages.applyChanges(message.conversationId, [message], changeSeq, 'live'),
  );
  socket.on('message:deleted', ({ message, changeSeq }) =>
    messages.applyChanges(message.conversationId, [message], changeSeq, 'live'),
  );
  socket.on('message:status', ({ conversationId, userId, readSeq, deliveredSeq }) =>
    applyReceipt(context, conversationId, userId, {
      ...(readSeq !== undefined ? { readSeq } : {}),
      ...(deliveredSeq !== undefined ? { deliveredSeq } : {}),
    }),
  );
  socket.on('message:reaction', ({ conversationId, changeSeq, ...change }) =>
    messages.applyReaction(conversationId, change, changeSeq),
  );
  socket.on('message:thread', (change) => messages.applyThread(change));
}

function bindConversationEvents(socket: GatewaySocket, { context, conversations }: SocketEventTargets): void {
  socket.on('conversation:updated', ({ conversation, removedUserIds }) => {
    if (removedUserIds?.includes(myId(context))) conversations.drop(conversation.id);
    else conversations.upsert(conversation);
  });
  socket.on('conversation:muted', ({ conversationId, muted }) =>
    updateConversation(context.store, conversationId, (state) => ({ ...state, muted })),
  );
}

/** Blocks, presence and typing of other people. */
function bindPeopleEvents(socket: GatewaySocket, { context }: SocketEventTargets): void {
  const { store } = context;
  socket.on('user:blocked', ({ userId, blocked }) =>
    store.update((state) => withBlocked(state, userId, blocked)),
  );
  socket.on('user:status', ({ userId, status, lastSeenAt }) =>
    store.update((state) => ({
      ...state,
      presence: { ...state.presence, [userId]: { status, lastSeenAt } },
    })),
  );
  socket.on('typing', (event) => store.update((state) => withTyping(state, event, Date.now())));
  socket.on('user:updated', ({ user }) => applyUser(context, user));
}
