import { z } from 'zod';
import { num, text } from '../primitives/primitives.schema';
import { agencyIdSchema } from '../http/agencies.schema';
import type { Envelope } from '../envelope/envelope.schema';
import type { AssignmentCreatedV1 } from '../events/assignment-created/v1';
import type { AssignmentUnacknowledgedV1 } from '../events/assignment-unacknowledged/v1';
import type { AssignmentUpdatedV1 } from '../events/assignment-updated/v1';
import type { CommandAcknowledgedV1 } from '../events/command-acknowledged/v1';
import type { GeofenceDwellV1 } from '../events/geofence-dwell/v1';
import type { GeofenceEnteredV1 } from '../events/geofence-entered/v1';
import type { GeofenceExitedV1 } from '../events/geofence-exited/v1';
import type { IncidentCreatedV1 } from '../events/incident-created/v1';
import type { IncidentStatusChangedV1 } from '../events/incident-status-changed/v1';
import type { NoteAddedV1 } from '../events/note-added/v1';
import type { CallReceivedV1 } from '../events/call-received/v1';
import type { CallLinkedV1 } from '../events/call-linked/v1';
import type { IncidentsLinkedV1 } from '../events/incidents-linked/v1';
import type { IncidentUpdatedV1 } from '../events/incident-updated/v1';
import type { UnitMovedV1 } from '../events/unit-moved/v1';
import type { UnitStatusChangedV1 } from '../events/unit-status-changed/v1';
import type { UnitUpdatedV1 } from '../events/unit-updated/v1';

export const Namespaces = {
  Dispatch: '/dispatch',
  Field: '/field',
} as const;

/**
 * Stable codes of socket errors: `connect_error.data.code` for a refused handshake, `code` of the
 * `error` event (and of a failed ack) for a rejected message.
 */
export const SocketErrorCodes = {
  /** Token missing, malformed, expired or not signed by the api-gateway. */
  Unauthenticated: 'unauthenticated',
  /** The token's roles or claims do not allow this namespace, room or unit. */
  Forbidden: 'forbidden',
  /** The user already holds the maximum number of sockets. */
  TooManySockets: 'too_many_sockets',
  /** The payload does not match the event's schema. */
  InvalidPayload: 'invalid_payload',
  /** More messages than the socket's budget (token bucket); sustained abuse disconnects. */
  RateLimited: 'rate_limited',
  /** The event name is not one the namespace accepts. */
  UnknownEvent: 'unknown_event',
  /** The access token expired on an open socket: refresh it and reconnect. */
  TokenExpired: 'token_expired',
  /** The user's sessions were revoked (logout, disabled, token reuse...). */
  SessionRevoked: 'session_revoked',
  /** This gateway instance is shutting down: reconnect (to another instance). */
  ShuttingDown: 'shutting_down',
  /** A dependency (Redis) failed; retry later. */
  Unavailable: 'unavailable',
  /**
   * A handshake `auth` field other than the token (e.g. `lastSeq`), or an id claim of the token
   * (`agencyId`, `sub`, `unitId`), is malformed; `issues` name it. Retrying the same does not help.
   */
  InvalidHandshake: 'invalid_handshake',
} as const;
export type SocketErrorCode = (typeof SocketErrorCodes)[keyof typeof SocketErrorCodes];

/** Socket error event payload: every rejected socket message answers with a code. */
export interface SocketError {
  code: SocketErrorCode | string;
  message: string;
  /** The client event that was rejected, when there was one. */
  event?: string;
  /** Validation issues (`invalid_payload`): JSON-pointer-ish path and message. */
  issues?: { path: string; message: string }[];
}

/** Answer of every client message that takes an ack callback. */
export type SocketAck<T = Record<string, never>> =
  ({ ok: true } & T) | { ok: false; error: SocketError };

/**
 * Sent before the server closes a socket on purpose (shutdown, expiry, revocation). For
 * `shutting_down` the client should reconnect after a random delay up to `retryAfterMs`
 * (the gateway closes the transport, so socket.io clients reconnect by themselves).
 */
export interface ServerNotice {
  code: SocketErrorCode;
  message: string;
  retryAfterMs?: number;
}

/**
 * The ids that name a room besides the agency's (unit, user, incident, zone): 1 to 100 of
 * `A-Z a-z 0-9 . _ @ -`, starting with a letter or digit, so never the room separator `:`.
 * Agency ids are {@link agencyIdSchema} slugs.
 */
const ROOM_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
export const roomIdSchema = text().regex(
  ROOM_ID,
  'an id: 1-100 of A-Z a-z 0-9 . _ @ -, starting with a letter or digit',
);

/** `subscribe` / `unsubscribe` on `/dispatch`: an incident's or a zone's (geofence's) events. */
export const subscriptionRequestSchema = z.strictObject({
  kind: z.enum(['incident', 'zone']),
  id: roomIdSchema,
});
export type SubscriptionRequest = z.infer<typeof subscriptionRequestSchema>;

/** Coalesced unit positions of one agency (`units.moved`, volatile, every ~500 ms). */
export interface UnitsMovedBatch {
  agencyId: string;
  /** Newest fix per unit since the previous batch. */
  units: UnitMovedV1[];
  /** Server time the batch was sent. */
  sentAt: string;
}

/**
 * Where a console event sits in its agency's feed: the id of its entry in ws-gateway's per-agency
 * capped stream (a Redis stream id, `<ms>-<n>`). Ids grow in feed order; a console keeps the newest
 * one it handled and sends it in `catch_up` after a reconnect.
 */
export const feedIdSchema = text().regex(/^\d{1,20}-\d{1,20}$/, 'a feed id: <ms>-<n>');

/** Second argument of every feed event on `/dispatch`: `socket.on(type, (event, meta) => …)`. */
export interface FeedMeta {
  feedId: string;
}

/** One replayed feed event: the envelope as it was emitted live, and its feed id. */
export interface FeedEntry {
  feedId: string;
  event: Envelope;
}

/**
 * `catch_up` on `/dispatch`: the events of the caller's agency after `lastEventId`, oldest first.
 * Without `lastEventId` nothing is replayed and the answer names the newest id (where to follow
 * from after a fresh REST load).
 */
export const catchUpRequestSchema = z.strictObject({
  lastEventId: feedIdSchema.optional(),
  /** Page size, 1 to 500 (default 200); `more: true` asks for another page. */
  limit: num().int().min(1).max(500).optional(),
});
export type CatchUpRequest = z.infer<typeof catchUpRequestSchema>;

/**
 * Answer of `catch_up`. `replay`: `events` after `lastEventId` in feed order, `lastEventId` the
 * newest one answered (or the request's when none), `more` when another page follows.
 * `resync_required`: events after the console's id are gone (`window_exceeded`: older than the
 * feed's window; `feed_reset`: the feed restarted): reload the state over REST, then follow from
 * `lastEventId` (the feed's newest id).
 */
export type CatchUpResult =
  | { status: 'replay'; events: FeedEntry[]; lastEventId: string; more: boolean }
  | {
      status: 'resync_required';
      reason: 'window_exceeded' | 'feed_reset';
      lastEventId: string;
    };

/** A console event as it reaches a listener: the envelope, and where it sits in the feed. */
type FeedListener<T> = (event: Envelope<T>, meta: FeedMeta) => void;

/**
 * The `command.acknowledged` a console receives: the device's acknowledgement with the command's
 * assignment, incident and all-call, when ws-gateway delivered the command (it remembers them).
 */
export type ConsoleCommandAcknowledged = CommandAcknowledgedV1;

/**
 * Events the server emits on `/dispatch`. Domain events are forwarded in their envelope with the
 * socket event name = the envelope `type` and a second argument {@link FeedMeta} (the event's feed
 * id): every one to every console of the agency (never another agency's), `incident.*`,
 * `assignment.*`, `command.acknowledged`, incident notes, `call.linked` and `incidents.linked`
 * also to the incident's subscribers, `geofence.*` also
 * to the zone's (and a perimeter incident's) subscribers. A socket in several of the rooms gets an
 * event once. These are the events of {@link DISPATCH_FEED_EVENTS}; `units.moved` is volatile and
 * not part of the feed.
 */
export interface DispatchServerToClientEvents {
  'incident.created': FeedListener<IncidentCreatedV1>;
  'incident.updated': FeedListener<IncidentUpdatedV1>;
  'incident.status_changed': FeedListener<IncidentStatusChangedV1>;
  'unit.status_changed': FeedListener<UnitStatusChangedV1>;
  'unit.updated': FeedListener<UnitUpdatedV1>;
  'assignment.created': FeedListener<AssignmentCreatedV1>;
  'assignment.updated': FeedListener<AssignmentUpdatedV1>;
  'assignment.unacknowledged': FeedListener<AssignmentUnacknowledgedV1>;
  'command.acknowledged': FeedListener<ConsoleCommandAcknowledged>;
  'geofence.entered': FeedListener<GeofenceEnteredV1>;
  'geofence.exited': FeedListener<GeofenceExitedV1>;
  'geofence.dwell': FeedListener<GeofenceDwellV1>;
  'note.added': FeedListener<NoteAddedV1>;
  'call.received': FeedListener<CallReceivedV1>;
  'call.linked': FeedListener<CallLinkedV1>;
  'incidents.linked': FeedListener<IncidentsLinkedV1>;
  'units.moved': (batch: UnitsMovedBatch) => void;
  notice: (notice: ServerNotice) => void;
  error: (error: SocketError) => void;
}

/** The socket events of the console feed (each with a {@link FeedMeta}, replayed by `catch_up`). */
export const DISPATCH_FEED_EVENTS = [
  'incident.created',
  'incident.updated',
  'incident.status_changed',
  'unit.status_changed',
  'unit.updated',
  'assignment.created',
  'assignment.updated',
  'assignment.unacknowledged',
  'command.acknowledged',
  'geofence.entered',
  'geofence.exited',
  'geofence.dwell',
  'note.added',
  'call.received',
  'call.linked',
  'incidents.linked',
] as const satisfies readonly (keyof DispatchServerToClientEvents)[];
export type DispatchFeedEvent = (typeof DISPATCH_FEED_EVENTS)[number];

export interface DispatchClientToServerEvents {
  subscribe: (
    request: SubscriptionRequest,
    ack: (result: SocketAck<{ room: string }>) => void,
  ) => void;
  unsubscribe: (
    request: SubscriptionRequest,
    ack: (result: SocketAck<{ room: string }>) => void,
  ) => void;
  catch_up: (request: CatchUpRequest, ack: (result: SocketAck<CatchUpResult>) => void) => void;
}

/** A room name was asked for with an id that is not one ({@link roomIdSchema}, {@link agencyIdSchema}). */
export class InvalidRoomIdError extends Error {
  constructor(readonly field: string) {
    super(`${field} is not a valid id`);
    this.name = 'InvalidRoomIdError';
  }
}

function agencyPart(agencyId: string): string {
  if (!agencyIdSchema.safeParse(agencyId).success) {
    throw new InvalidRoomIdError('agencyId');
  }
  return `agency:${agencyId}`;
}

function qualified(agencyId: string, kind: string, id: string): string {
  if (typeof id !== 'string' || !ROOM_ID.test(id)) {
    throw new InvalidRoomIdError(`${kind}Id`);
  }
  return `${agencyPart(agencyId)}:${kind}:${id}`;
}

/**
 * Room names: the one builder of them. Every room but the agency's own is qualified by the agency,
 * so an id of another agency can only ever name a room of the caller's agency, never receive
 * another agency's events; every id is checked ({@link InvalidRoomIdError} otherwise), so no id
 * can carry a `:` and name another room.
 */
export const roomOf = {
  agency: (agencyId: string) => agencyPart(agencyId),
  incident: (agencyId: string, id: string) => qualified(agencyId, 'incident', id),
  zone: (agencyId: string, id: string) => qualified(agencyId, 'zone', id),
  unit: (agencyId: string, id: string) => qualified(agencyId, 'unit', id),
  user: (agencyId: string, id: string) => qualified(agencyId, 'user', id),
};
