import { vi } from 'vitest';
import type { MessageListProps } from '../ui/message-list.tsx';
import { conversationState, me, users } from './fixtures.ts';

/** A message list's props with every action a mock, for component tests. */
export function messageListProps(overrides: Partial<MessageListProps> = {}): MessageListProps {
  return {
    state: conversationState([]),
    pending: [],
    me,
    users,
    loadingOlder: false,
    onLoadOlder: vi.fn(),
    onEdit: vi.fn(async () => {}),
    onDelete: vi.fn(async () => {}),
    onReact: vi.fn(async () => {}),
    onRetry: vi.fn(),
    onDiscard: vi.fn(),
    ...overrides,
  };
}
