import { pageLimits } from '@palaver/contracts/limits';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthSession } from './auth-session.ts';
import { PalaverApi } from './palaver-api.ts';

const user = {
  id: 'a'.repeat(24),
  username: 'ann',
  displayName: 'Ann',
  avatar: null,
  createdAt: '2026-11-25T10:00:00.000Z',
};

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function signedIn(expiresIn = 900): AuthSession {
  localStorage.clear();
  const auth = new AuthSession();
  auth.signIn({ user, accessToken: 'access-1', refreshToken: 'refresh-1', expiresIn });
  return auth;
}

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('tokens', () => {
  it('keeps the session across a reload (a new AuthSession reads it back)', () => {
    signedIn();
    expect(new AuthSession().session?.user.username).toBe('ann');
  });

  it('refreshes once on token_expired and retries the request with the new token', async () => {
    const auth = signedIn();
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      const token = new Headers(init?.headers).get('authorization');
      if (url === '/api/auth/refresh')
        return json(200, { accessToken: 'access-2', refreshToken: 'refresh-2', expiresIn: 900 });
      if (token === 'Bearer access-1')
        return json(401, { error: { code: 'token_expired', message: 'expired' } });
      return json(200, user);
    });
    vi.stubGlobal('fetch', fetchMock);
    expect(await new PalaverApi(auth).user(user.id)).toEqual(user);
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual([
      `/api/users/${user.id}`,
      '/api/auth/refresh',
      `/api/users/${user.id}`,
    ]);
    expect(auth.session?.refreshToken).toBe('refresh-2');
  });

  it('refreshes before expiry, and concurrent callers share one refresh (a reused token revokes the session)', async () => {
    const auth = signedIn(30); // inside the one-minute margin
    const fetchMock = vi.fn(async (url: string) =>
      url === '/api/auth/refresh'
        ? json(200, { accessToken: 'access-2', refreshToken: 'refresh-2', expiresIn: 900 })
        : json(200, { users: [], nextCursor: null }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const api = new PalaverApi(auth);
    await Promise.all([api.searchUsers('a'), api.searchUsers('b'), api.searchUsers('c')]);
    expect(fetchMock.mock.calls.filter(([url]) => url === '/api/auth/refresh')).toHaveLength(1);
  });

  it('signs out when the refresh token is refused', async () => {
    const auth = signedIn();
    const seen = vi.fn();
    auth.subscribe(seen);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json(401, { error: { code: 'session_revoked', message: 'revoked' } })),
    );
    await expect(new PalaverApi(auth).user(user.id)).rejects.toMatchObject({ code: 'session_revoked' });
    expect(auth.session).toBeNull();
    expect(seen).toHaveBeenLastCalledWith(null);
  });
});

describe('message search', () => {
  it("asks with the query, the contracts' page size and only the filters given; a refusal keeps its code", async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url.includes('q=ab')
        ? json(400, { error: { code: 'query_too_short', message: 'too short' } })
        : json(200, { results: [], nextCursor: null }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const api = new PalaverApi(signedIn());
    await api.searchMessages({ q: '北京 見面' });
    await api.searchMessages({ q: 'trip', conversationId: 'c'.repeat(24), cursor: '920_1_abc' });
    const asked = fetchMock.mock.calls.map(([url]) => new URL(url, 'http://edge'));
    expect(asked.map((url) => url.pathname)).toEqual(['/api/search', '/api/search']);
    expect(Object.fromEntries(asked[0]?.searchParams ?? [])).toEqual({
      q: '北京 見面',
      limit: String(pageLimits.search.default),
    });
    expect(Object.fromEntries(asked[1]?.searchParams ?? [])).toEqual({
      q: 'trip',
      limit: String(pageLimits.search.default),
      conversationId: 'c'.repeat(24),
      cursor: '920_1_abc',
    });
    await expect(api.searchMessages({ q: 'ab' })).rejects.toMatchObject({
      code: 'query_too_short',
      status: 400,
    });
  });
});
