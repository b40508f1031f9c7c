import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessageHarness, makeUser, startMessage } from './message-harness.ts';

let h: MessageHarness;
beforeAll(async () => {
  h = await startMessage('memberships');
});
afterAll(async () => {
  await h?.close();
});

describe('GET /memberships', () => {
  it("names the caller's conversations as they are now", async () => {
    const [ada, bob] = await Promise.all([makeUser(), makeUser()]);
    const group = await h.createGroup(ada, [bob]);
    const direct = await h.createDirect(ada, bob);
    const of = async (user: typeof ada) => {
      const response = await h.app.inject({ url: '/memberships', headers: user.headers });
      expect(response.statusCode).toBe(200);
      return (response.json() as { conversationIds: string[] }).conversationIds.sort();
    };
    expect(await of(bob)).toEqual([group.id, direct.id].sort());
    const removed = await h.app.inject({
      method: 'DELETE',
      url: `/conversations/${group.id}/members/${bob.id}`,
      headers: ada.headers,
    });
    expect(removed.statusCode).toBe(204);
    expect(await of(bob)).toEqual([direct.id]);
    expect(await of(await makeUser())).toEqual([]);
  });

  it('refuses a missing token with 401 in the error shape', async () => {
    const response = await h.app.inject({ url: '/memberships' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('unauthorized');
  });
});
