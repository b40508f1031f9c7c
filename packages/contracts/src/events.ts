import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { IsoDateTime, ObjectIdString } from './primitives.ts';

/**
 * The broker event catalogue: one entry per `domain.action` routing key, each with
 * the version of its payload. Consumers reject versions they do not know.
 */
export const SessionRevoked = Type.Object({
  sessionId: Type.String(),
  userId: ObjectIdString,
  reason: Type.Union([Type.Literal('logout'), Type.Literal('refresh_reuse')]),
  revokedAt: IsoDateTime,
});

export const EventCatalogue = {
  'auth.session.revoked': { version: 1, data: SessionRevoked },
} as const satisfies Record<string, { version: number; data: TSchema }>;

export type EventType = keyof typeof EventCatalogue;
export type EventData<T extends EventType> = Static<(typeof EventCatalogue)[T]['data']>;

/** What travels on the wire: an envelope around the versioned payload. */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  data: EventData<T>;
}

export const EventEnvelopeSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  type: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  occurredAt: IsoDateTime,
  data: Type.Unknown(),
});
