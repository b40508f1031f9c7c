import type { Upload } from '@palaver/contracts';
import { uploadFiles } from '../api/upload-files.ts';
import type { MessageRefs } from '../chat/outbox.ts';
import { Composer, type ComposerProps } from './composer.tsx';
import { useChatClient } from './use-chat.ts';

/**
 * The composer of a conversation or of one of its threads, through the chat client: it sends
 * there, says I am typing, and uploads files (their links seeded, so they show at once).
 */
export function ConversationComposer({
  conversationId,
  refs,
  onSent,
  seedLinks,
  ...composer
}: Omit<ComposerProps, 'onSend' | 'onTyping' | 'upload'> & {
  conversationId: string;
  /** What each message sent from here answers: a quoted message, or the thread's root. */
  refs: MessageRefs;
  onSent?: () => void;
  seedLinks: (upload: Upload) => void;
}) {
  const client = useChatClient();
  return (
    <Composer
      {...composer}
      onSend={(body, uploads) => {
        client.send(conversationId, body, uploads, refs);
        onSent?.();
      }}
      onTyping={(isTyping) => client.setTyping(conversationId, isTyping)}
      upload={async (files, onProgress) => {
        const uploads = await uploadFiles(client.auth, files, onProgress);
        for (const upload of uploads) seedLinks(upload);
        return uploads;
      }}
    />
  );
}
