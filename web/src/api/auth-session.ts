import type { AuthResult, PublicUser, TokenPair } from '@palaver/contracts';
import { ApiError, errorFromResponse } from './api-error.ts';

/**
 * The signed-in person's tokens. Kept in localStorage so a reload stays signed in.
 * Refresh tokens are single-use and a reused one revokes the whole session, so refreshing
 * is single-flight here and serialised across tabs with a Web Lock.
 */
export interface Session {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
}

const storageKey = 'palaver.session';
/** Refresh this long before expiry, so a request never races the deadline. */
const refreshMargin = 60_000;

type Listener = (session: Session | null) => void;

export class AuthSession {
  private current: Session | null;
  private inFlight: Promise<Session> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<Listener>();

  private readonly storage: Storage;

  constructor(storage: Storage = localStorage) {
    this.storage = storage;
    this.current = readStored(storage);
    this.schedule();
  }

  get session(): Session | null {
    return this.current;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After register or login. */
  signIn(result: AuthResult): void {
    this.set({ user: result.user, ...withExpiry(result) });
  }

  signOut(): void {
    this.set(null);
  }

  updateUser(user: PublicUser): void {
    if (this.current) this.set({ ...this.current, user });
  }

  /** A token good for at least the refresh margin, refreshing first when needed. */
  async accessToken(): Promise<string> {
    const session = this.current;
    if (!session) throw new ApiError('unauthorized', 'Signed out', 401);
    if (session.expiresAt - Date.now() > refreshMargin) return session.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Exchange the refresh token for a new pair; concurrent callers share one request. */
  refresh(): Promise<Session> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async refreshOnce(): Promise<Session> {
    const run = async (): Promise<Session> => {
      // Another tab may have refreshed while this one waited for the lock.
      const stored = readStored(this.storage);
      const before = this.current;
      if (stored && before && stored.refreshToken !== before.refreshToken) {
        this.set(stored);
        return stored;
      }
      if (!before) throw new ApiError('unauthorized', 'Signed out', 401);
      let response: Response;
      try {
        response = await fetch('/api/auth/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: before.refreshToken }),
        });
      } catch {
        throw new ApiError('network', 'Cannot reach the server', 0);
      }
      if (!response.ok) {
        const error = await errorFromResponse(response);
        // Only a definite "no" signs the person out; a 5xx or 429 leaves the session to retry.
        if (response.status === 401) this.set(null);
        throw error;
      }
      const next = { user: before.user, ...withExpiry((await response.json()) as TokenPair) };
      this.set(next);
      return next;
    };
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    return locks ? locks.request('palaver.refresh', run) : run();
  }

  private set(session: Session | null): void {
    this.current = session;
    if (session) this.storage.setItem(storageKey, JSON.stringify(session));
    else this.storage.removeItem(storageKey);
    this.schedule();
    for (const listener of this.listeners) listener(session);
  }

  /** Refresh quietly ahead of expiry, so the socket's `auth:refresh` keeps it connected. */
  private schedule(): void {
    clearTimeout(this.timer);
    const session = this.current;
    if (!session) return;
    const delay = Math.max(0, session.expiresAt - Date.now() - refreshMargin);
    this.timer = setTimeout(() => {
      this.refresh().catch(() => {
        // Offline or server down: the next request or reconnect refreshes again.
      });
    }, delay);
  }
}

function withExpiry(pair: TokenPair): Omit<Session, 'user'> {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: Date.now() + pair.expiresIn * 1000,
  };
}

function readStored(storage: Storage): Session | null {
  try {
    const raw = storage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}
