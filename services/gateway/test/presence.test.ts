import type { ServerToClientEvents } from '@palaver/contracts';
import { startedForFile } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import {
  type ClientSocket,
  collect,
  eventually,
  request,
  startGatewayStack,
  type TestUser,
} from './gateway-harness.ts';

// Presence and typing under both fan-out designs: a queue per replica emitting locally, and
// one shared queue whose consumer reaches other replicas' sockets through the Redis adapter;
// and the adapter reading one channel (static) or a channel per room (dynamic).
describe.each([
  { fanout: 'replica-queue', subscriptions: 'static' },
  { fanout: 'shared-queue', subscriptions: 'static' },
  { fanout: 'shared-queue', subscriptions: 'dynamic' },
])('with $fanout, $subscriptions adapter subscriptions', ({ fanout, subscriptions }) => {
  const stack = startedForFile(() =>
    startGatewayStack(`presence-${fanout}-${subscriptions}`, {
      replicas: 2,
      gatewayEnv: {
        FANOUT: fanout,
        ADAPTER_SUBSCRIPTIONS: subscriptions,
        TYPING_TTL: '1s',
        TYPING_THROTTLE_MS: '300',
        PRESENCE_MAX_GROUP: '3',
      },
    }),
  );

  const [first, second] = [0, 1].map((i) => () => stack.gateways[i] as (typeof stack.gateways)[0]) as [
    () => (typeof stack.gateways)[0],
    () => (typeof stack.gateways)[0],
  ];

  /** Connects each user in turn to the first, second, first… replica, and collects `event` on each socket. */
  const connectEach = async <U extends TestUser[], E extends keyof ServerToClientEvents>(
    users: [...U],
    event: E,
  ) => {
    const sockets: ClientSocket[] = [];
    for (const [i, user] of users.entries())
      sockets.push(await stack.connect(i % 2 ? second() : first(), user));
    return {
      sockets: sockets as { [K in keyof U]: ClientSocket },
      seen: sockets.map((socket) => collect(socket, event)) as {
        [K in keyof U]: ReturnType<typeof collect<E>>;
      },
    };
  };

  describe('presence', () => {
    it('is online while any socket is live on any replica, and told only to contacts', async () => {
      const [ada, bob, stranger] = await stack.users(3);
      const bobSocket = await stack.connect(second(), bob);
      const strangerSocket = await stack.connect(first(), stranger);
      const bobSees = collect(bobSocket, 'user:status');
      const strangerSees = collect(strangerSocket, 'user:status');
      const bobUpdates = collect(bobSocket, 'conversation:updated');
      // Once they share a conversation, bob is told ada's current presence: offline.
      await stack.direct(ada, bob);
      await eventually(() => bobUpdates.length === 1 && bobSees.length === 1);
      expect(bobSees[0]).toMatchObject({ userId: ada.id, status: 'offline', lastSeenAt: null });

      const adaPhone = await stack.connect(first(), ada);
      await eventually(() => bobSees.some((s) => s.userId === ada.id && s.status === 'online'));
      const adaLaptop = await stack.connect(second(), ada);
      // The gateway registers a socket's presence after the handshake, then tells it its
      // contacts' presence: once the laptop hears about bob, it counts for ada.
      const laptopSees = collect(adaLaptop, 'user:status');
      await eventually(() => laptopSees.some((s) => s.userId === bob.id));
      adaPhone.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bobSees.map((s) => s.status)).toEqual(['offline', 'online']);

      adaLaptop.disconnect();
      await eventually(() => bobSees.length === 3);
      const offline = bobSees[2];
      expect(offline).toMatchObject({ userId: ada.id, status: 'offline' });
      expect(Date.parse(offline?.lastSeenAt ?? '')).toBeGreaterThan(Date.now() - 10_000);
      expect(strangerSees.filter((s) => s.userId === ada.id)).toEqual([]);
    });

    it("gives a new client its contacts' current presence", async () => {
      const [ada, bob, carol] = await stack.users(3);
      await stack.direct(ada, bob);
      await stack.group(ada, [carol]);
      await stack.connect(second(), bob);
      const adaSocket = await stack.connect(first(), ada);
      const seen = collect(adaSocket, 'user:status');
      // Latest per user: bob's socket may still be registering as ada reads the statuses,
      // in which case she is told offline, then online by bob's announcement.
      const byUser = () => Object.fromEntries(seen.map((s) => [s.userId, s.status]));
      await eventually(() => Object.keys(byUser()).length === 2 && byUser()[bob.id] === 'online');
      expect(byUser()).toEqual({ [bob.id]: 'online', [carol.id]: 'offline' });
    });

    it('starts watching people who join a conversation while connected', async () => {
      const [ada, dan] = await stack.users(2);
      const adaSocket = await stack.connect(first(), ada);
      const seen = collect(adaSocket, 'user:status');
      const updates = collect(adaSocket, 'conversation:updated');
      const chat = await stack.direct(ada, dan);
      // The same event that tells ada about the conversation makes her watch dan, and tells
      // her dan's current presence.
      await eventually(() => updates.some((u) => u.conversation.id === chat.id));
      await eventually(() => seen.some((s) => s.userId === dan.id));
      expect(seen.filter((s) => s.userId === dan.id).map((s) => s.status)).toEqual(['offline']);
      await stack.connect(second(), dan);
      await eventually(() => seen.some((s) => s.userId === dan.id && s.status === 'online'));
    });

    it('is told at once to people already online who start sharing a conversation', async () => {
      const [ada, bob, carol] = await stack.users(3);
      const {
        seen: [adaSees, bobSees, carolSees],
      } = await connectEach([ada, bob, carol], 'user:status');
      const group = await stack.group(ada, [bob]);
      await eventually(() => adaSees.length === 1 && bobSees.length === 1);
      expect(adaSees[0]).toMatchObject({ userId: bob.id, status: 'online' });
      expect(bobSees[0]).toMatchObject({ userId: ada.id, status: 'online' });
      // A member added later learns everyone's presence; the others learn theirs.
      await stack.call(ada, 'POST', `/conversations/${group.id}/members`, { userIds: [carol.id] });
      await eventually(() => carolSees.length === 2 && adaSees.length === 2 && bobSees.length === 2);
      expect(carolSees.map((s) => s.userId).sort()).toEqual([ada.id, bob.id].sort());
      expect(adaSees[1]).toMatchObject({ userId: carol.id, status: 'online' });
    });

    it('stops between a removed member and former co-members on every replica, not between those who still share a chat', async () => {
      const [ada, bob, carol] = await stack.users(3);
      const group = await stack.group(ada, [bob, carol]);
      await stack.direct(ada, carol);
      // Each listens from the moment it is connected: a snapshot can follow at once.
      const join = async (
        replica: (typeof stack.gateways)[0],
        user: Awaited<ReturnType<typeof stack.user>>,
      ) => {
        const socket = await stack.connect(replica, user);
        return {
          socket,
          sees: collect(socket, 'user:status'),
          updates: collect(socket, 'conversation:updated'),
        };
      };
      const adaOn = await join(first(), ada);
      const bobOn = await join(second(), bob);
      const carolOn = await join(second(), carol);
      const [adaSees, bobSees, carolSees] = [adaOn.sees, bobOn.sees, carolOn.sees];
      const adaSocket = adaOn.socket;
      const bobSocket = bobOn.socket;
      const updates = [adaOn.updates, bobOn.updates, carolOn.updates];
      const online = (seen: typeof adaSees, userId: string) =>
        seen.some((s) => s.userId === userId && s.status === 'online');
      await eventually(
        () =>
          online(adaSees, bob.id) &&
          online(adaSees, carol.id) &&
          online(bobSees, ada.id) &&
          online(bobSees, carol.id) &&
          online(carolSees, ada.id) &&
          online(carolSees, bob.id),
      );

      await stack.call(ada, 'DELETE', `/conversations/${group.id}/members/${bob.id}`);
      await eventually(() => updates.every((seen) => seen.some((u) => u.removedUserIds?.includes(bob.id))));
      const [adaBefore, bobBefore, carolBefore] = [adaSees.length, bobSees.length, carolSees.length];

      // Ada goes offline and comes back: Carol (who shares a direct chat) hears both, Bob neither.
      adaSocket.disconnect();
      await eventually(() =>
        carolSees.slice(carolBefore).some((s) => s.userId === ada.id && s.status === 'offline'),
      );
      const adaAgainSees = (await join(second(), ada)).sees;
      await eventually(() =>
        carolSees.slice(carolBefore).some((s) => s.userId === ada.id && s.status === 'online'),
      );
      // Bob goes offline and comes back: nobody who no longer shares a chat with him hears it.
      bobSocket.disconnect();
      const bobAgainSees = (await join(first(), bob)).sees;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(bobSees.slice(bobBefore)).toEqual([]);
      expect(bobAgainSees).toEqual([]);
      expect(adaSees.slice(adaBefore).filter((s) => s.userId === bob.id)).toEqual([]);
      expect(adaAgainSees.filter((s) => s.userId === bob.id)).toEqual([]);
      expect(carolSees.slice(carolBefore).filter((s) => s.userId === bob.id)).toEqual([]);
    });

    it('is not shared in groups larger than PRESENCE_MAX_GROUP', async () => {
      const [ada, bob, carol, dan] = await stack.users(4);
      const adaSocket = await stack.connect(first(), ada);
      const seen = collect(adaSocket, 'user:status');
      const updates = collect(adaSocket, 'conversation:updated');
      const big = await stack.group(ada, [bob, carol, dan]);
      await eventually(() => updates.some((u) => u.conversation.id === big.id));
      await stack.connect(second(), bob);
      const bobAgain = await stack.connect(first(), bob);
      const bobSees = collect(bobAgain, 'user:status');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual([]);
      expect(bobSees).toEqual([]);
    });
  });

  describe('typing', () => {
    it('reaches the other members across replicas, throttled, and stops by itself', async () => {
      const [ada, bob, carol, outsider] = await stack.users(4);
      const group = await stack.group(ada, [bob, carol]);
      const {
        sockets: [adaSocket],
        seen: [adaSees, bobSees, carolSees, outsiderSees],
      } = await connectEach([ada, bob, carol, outsider], 'typing');

      for (let i = 0; i < 5; i++) {
        expect(await request(adaSocket, 'typing', { conversationId: group.id, isTyping: true })).toEqual({
          ok: true,
        });
      }
      await eventually(() => bobSees.length === 1 && carolSees.length === 1);
      expect(bobSees[0]).toEqual({ conversationId: group.id, userId: ada.id, isTyping: true });
      // No isTyping:false is ever sent: it expires after TYPING_TTL (1 s here).
      await eventually(() => bobSees.length === 2, 3000);
      expect(bobSees[1]).toEqual({ conversationId: group.id, userId: ada.id, isTyping: false });
      expect(adaSees).toEqual([]);
      expect(outsiderSees).toEqual([]);
    });

    it('is refused for a conversation the caller is not in', async () => {
      const [ada, bob, eve] = await stack.users(3);
      const chat = await stack.direct(ada, bob);
      const eveSocket = await stack.connect(first(), eve);
      const ack = await request(eveSocket, 'typing', { conversationId: chat.id, isTyping: true });
      expect(ack).toMatchObject({ ok: false, error: { code: 'not_found' } });
    });

    it('stops when the typist disconnects', async () => {
      const [ada, bob] = await stack.users(2);
      const chat = await stack.direct(ada, bob);
      const adaSocket = await stack.connect(first(), ada);
      const bobSocket = await stack.connect(second(), bob);
      const bobSees = collect(bobSocket, 'typing');
      await request(adaSocket, 'typing', { conversationId: chat.id, isTyping: true });
      await eventually(() => bobSees.length === 1);
      adaSocket.disconnect();
      await eventually(() => bobSees.length === 2);
      expect(bobSees[1]?.isTyping).toBe(false);
    });
  });
});
