import { type ChatContext, connectedSocket, myId } from './chat-context.ts';
import { withReceipt } from './chat-state.ts';
import { updateConversation } from './conversations.ts';

/** Read and delivered marks: mine as I read and receive, everyone's as `message:status` tells. */
export function applyReceipt(
  context: ChatContext,
  conversationId: string,
  userId: string,
  marks: { readSeq?: number; deliveredSeq?: number },
): void {
  updateConversation(context.store, conversationId, (held) => withReceipt(held, userId, marks));
}

/** Mark everything held in an open, visible conversation as read. */
export function markRead(context: ChatContext, conversationId: string): void {
  const me = myId(context);
  const held = context.store.get().conversations[conversationId];
  if (!held) return;
  const seq = held.conversation.lastSeq;
  const mine = held.conversation.members.find((member) => member.userId === me);
  if (!mine || mine.lastReadSeq >= seq || seq === 0) return;
  applyReceipt(context, conversationId, me, { readSeq: seq });
  updateConversation(context.store, conversationId, (state) => ({ ...state, unreadMentions: 0 }));
  const socket = connectedSocket(context);
  if (socket) socket.emit('conversation:read', { conversationId, seq }, () => {});
  else context.api.markRead(conversationId, seq).catch(() => {});
}

/** Tell senders their messages reached this device (✓✓). */
export function acknowledgeDelivery(context: ChatContext, conversationId: string): void {
  const me = myId(context);
  const held = context.store.get().conversations[conversationId];
  const socket = connectedSocket(context);
  if (!held || !socket) return;
  const seq = held.conversation.lastSeq;
  const mine = held.conversation.members.find((member) => member.userId === me);
  if (!mine || seq === 0 || Math.max(mine.lastDeliveredSeq, mine.lastReadSeq) >= seq) return;
  applyReceipt(context, conversationId, me, { deliveredSeq: seq });
  socket.emit('message:delivered', { conversationId, seq }, () => {});
}
