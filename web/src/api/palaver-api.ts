import type {
  AuthResult,
  BlockList,
  Conversation,
  ConversationPage,
  Message,
  MessagePage,
  PublicUser,
  SearchPage,
  SearchQuery,
  ThreadPage,
  UpdateMeBody,
  Upload,
  UserPage,
} from '@palaver/contracts';
import { pageLimits } from '@palaver/contracts/limits';
import { ApiError, errorFromResponse } from './api-error.ts';
import type { AuthSession } from './auth-session.ts';

/**
 * The HTTP API behind the edge (docs/api.md). Authenticated calls carry the access token,
 * and a 401 (`token_expired`, or a token revoked underneath us) is answered by one refresh
 * and one retry, so the person never sees an expiry.
 */
export class PalaverApi {
  private readonly auth: AuthSession;

  constructor(auth: AuthSession) {
    this.auth = auth;
  }

  register(body: { username: string; password: string; displayName: string }): Promise<AuthResult> {
    return this.anonymous('POST', '/api/auth/register', body);
  }

  login(body: { username: string; password: string }): Promise<AuthResult> {
    return this.anonymous('POST', '/api/auth/login', body);
  }

  logout(): Promise<void> {
    return this.call('POST', '/api/auth/logout');
  }

  /** A new display name, avatar (an upload made with `uploadAvatar`, or null to remove it), or both. */
  updateMe(change: UpdateMeBody): Promise<PublicUser> {
    return this.call('PATCH', '/api/auth/me', change);
  }

  searchUsers(q: string): Promise<UserPage> {
    return this.call(
      'GET',
      `/api/users?${new URLSearchParams({ q, limit: String(pageLimits.users.default) })}`,
    );
  }

  /** Messages by words (the search service): ranked hits with highlight ranges, paged by cursor. */
  searchMessages(query: SearchQuery): Promise<SearchPage> {
    const params = new URLSearchParams({
      q: query.q,
      limit: String(query.limit ?? pageLimits.search.default),
    });
    for (const key of ['conversationId', 'senderId', 'cursor'] as const) {
      const value = query[key];
      if (value) params.set(key, value);
    }
    return this.call('GET', `/api/search?${params}`);
  }

  user(id: string): Promise<PublicUser> {
    return this.call('GET', `/api/users/${id}`);
  }

  conversations(cursor?: string): Promise<ConversationPage> {
    const query = new URLSearchParams({ limit: String(pageLimits.conversations.max) });
    if (cursor) query.set('cursor', cursor);
    return this.call('GET', `/api/conversations?${query}`);
  }

  conversation(id: string): Promise<Conversation> {
    return this.call('GET', `/api/conversations/${id}`);
  }

  startDirect(userId: string): Promise<Conversation> {
    return this.call('POST', '/api/conversations', { type: 'direct', userId });
  }

  createGroup(title: string, memberIds: string[]): Promise<Conversation> {
    return this.call('POST', '/api/conversations', { type: 'group', title, memberIds });
  }

  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> {
    return this.call('POST', `/api/conversations/${conversationId}/members`, { userIds });
  }

  renameGroup(conversationId: string, title: string): Promise<Conversation> {
    return this.call('PATCH', `/api/conversations/${conversationId}`, { title });
  }

  setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<Conversation> {
    return this.call('PATCH', `/api/conversations/${conversationId}/members/${userId}`, { role });
  }

  /** The owner hands the group to another member and becomes an admin. */
  transferOwnership(conversationId: string, userId: string): Promise<Conversation> {
    return this.call('PUT', `/api/conversations/${conversationId}/owner`, { userId });
  }

  /** Leave (your own id) or remove someone (owner or admin). */
  removeMember(conversationId: string, userId: string): Promise<void> {
    return this.call('DELETE', `/api/conversations/${conversationId}/members/${userId}`);
  }

  /** Newest first before `before`, or oldest first after `after`. */
  messages(
    conversationId: string,
    page: { before?: number; after?: number; limit?: number },
  ): Promise<MessagePage> {
    const query = new URLSearchParams({
      conversationId,
      limit: String(page.limit ?? pageLimits.history.default),
    });
    if (page.before !== undefined) query.set('before', String(page.before));
    if (page.after !== undefined) query.set('after', String(page.after));
    return this.call('GET', `/api/messages?${query}`);
  }

  /** A thread's root and a page of its replies: the latest, or those before a place. */
  thread(conversationId: string, rootSeq: number, before?: number): Promise<ThreadPage> {
    const query = new URLSearchParams({ limit: String(pageLimits.thread.default) });
    if (before !== undefined) query.set('before', String(before));
    return this.call('GET', `/api/conversations/${conversationId}/threads/${rootSeq}?${query}`);
  }

  editMessage(conversationId: string, seq: number, body: string): Promise<Message> {
    return this.call('PATCH', `/api/conversations/${conversationId}/messages/${seq}`, { body });
  }

  deleteMessage(conversationId: string, seq: number): Promise<void> {
    return this.call('DELETE', `/api/conversations/${conversationId}/messages/${seq}`);
  }

  /** Adds (`reacted`) or takes back the caller's reaction; answers with the message as it is now. */
  react(conversationId: string, seq: number, emoji: string, reacted: boolean): Promise<Message> {
    const path = `/api/conversations/${conversationId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`;
    return this.call(reacted ? 'PUT' : 'DELETE', path);
  }

  setMuted(conversationId: string, muted: boolean): Promise<void> {
    return this.call(muted ? 'PUT' : 'DELETE', `/api/conversations/${conversationId}/mute`);
  }

  blocks(): Promise<BlockList> {
    return this.call('GET', '/api/blocks');
  }

  setBlocked(userId: string, blocked: boolean): Promise<void> {
    return this.call(blocked ? 'PUT' : 'DELETE', `/api/blocks/${userId}`);
  }

  markRead(conversationId: string, seq: number): Promise<unknown> {
    return this.call('POST', `/api/conversations/${conversationId}/read`, { seq });
  }

  /** Fresh signed links for an upload (they live a few minutes). */
  uploadMeta(uploadId: string): Promise<Upload> {
    return this.call('GET', `/api/uploads/${uploadId}/meta`);
  }

  private async anonymous<T>(method: string, path: string, body: unknown): Promise<T> {
    const response = await send(method, path, body, undefined);
    if (!response.ok) throw await errorFromResponse(response);
    return (await response.json()) as T;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response = await send(method, path, body, await this.auth.accessToken());
    if (response.status === 401) {
      const session = await this.auth.refresh();
      response = await send(method, path, body, session.accessToken);
    }
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
}

async function send(
  method: string,
  path: string,
  body: unknown,
  token: string | undefined,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('network', 'Cannot reach the server', 0);
  }
}
