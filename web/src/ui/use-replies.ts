import type { Message } from '@palaver/contracts';
import { type RefObject, useEffect, useState } from 'react';
import type { ComposerHandle } from './composer.tsx';
import { useChatClient } from './use-chat.ts';
import type { MessageFocus } from './use-message-focus.ts';

/**
 * Replying: the message being quoted in the composer, the thread open beside the
 * conversation, and going to a quote's original (loading history back to it first).
 */
export function useReplies(
  conversationId: string,
  searchFocus: MessageFocus | undefined,
  composer: RefObject<ComposerHandle | null>,
) {
  const client = useChatClient();
  const [replyingTo, setReplyingTo] = useState<Message | null>(null);
  const [threadRoot, setThreadRoot] = useState<number | null>(null);
  const [jump, setJump] = useState<MessageFocus | undefined>(undefined);
  // A new search hit wins over an older jump to a quote.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the search focus changes
  useEffect(() => setJump(undefined), [searchFocus]);
  return {
    replyingTo,
    setReplyingTo,
    threadRoot,
    focus: jump ?? searchFocus,
    reply: (message: Message) => {
      setReplyingTo(message);
      composer.current?.focus();
    },
    openThread: setThreadRoot,
    closeThread: () => {
      setThreadRoot(null);
      document.querySelector<HTMLElement>('#conversation-title')?.focus();
    },
    jumpTo: (seq: number) =>
      void client.loadUntil(conversationId, seq).then((found) => found && setJump({ seq })),
  };
}

export type Replies = ReturnType<typeof useReplies>;
