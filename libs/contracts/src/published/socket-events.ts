import { z } from 'zod';
import { commandAckRequestSchema } from '../events/command-acknowledged/v1';
import { deliveredCommandSchema, recipientSchema } from '../events/command-issued/v1';
import type { EventType } from '../events/event-registry';
import { unitMovedV1 } from '../events/unit-moved/v1';
import { envelopeSchema } from '../envelope/envelope.schema';
import {
  catchUpRequestSchema,
  feedIdSchema,
  SocketErrorCodes,
  subscriptionRequestSchema,
  type CatchUpResult,
  type DispatchClientToServerEvents,
  type DispatchServerToClientEvents,
  type ServerNotice,
  type SocketError,
  type UnitsMovedBatch,
} from '../realtime/dispatch-namespace';
import {
  fieldPositionMessageSchema,
  resumeRequestSchema,
  type FieldClientToServerEvents,
  type FieldServerToClientEvents,
  type ResyncNotice,
} from '../realtime/field-namespace';

/*
 * The socket.io events of ws-gateway for the AsyncAPI document. The event maps of
 * `libs/contracts/src/realtime` are TypeScript interfaces; the payloads that have zod schemas there
 * are used as they are, the others are described here by schemas typed against those interfaces
 * (so a change of an interface that these no longer match fails the type check). Each table
 * `satisfies` its event map, so an event added to (or removed from) a map without being documented
 * here fails `tsc` (the lint step of `npm test`).
 */

const socketErrorSchema: z.ZodType<SocketError> = z.object({
  code: z.string(),
  message: z.string(),
  event: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
const socketErrorCodeSchema = z.enum(
  Object.values(SocketErrorCodes) as [string, ...string[]],
) as z.ZodType<ServerNotice['code']>;
const serverNoticeSchema: z.ZodType<ServerNotice> = z.object({
  code: socketErrorCodeSchema,
  message: z.string(),
  retryAfterMs: z.number().int().min(0).optional(),
});
const unitsMovedBatchSchema: z.ZodType<UnitsMovedBatch> = z.object({
  agencyId: z.string(),
  units: z.array(unitMovedV1),
  sentAt: z.iso.datetime({ offset: true }),
});
const resyncNoticeSchema: z.ZodType<ResyncNotice> = z.object({
  recipient: recipientSchema,
  reason: z.enum(['retention_exceeded', 'sequence_reset']),
  lastSeq: z.number().int().min(0),
  oldestSeq: z.number().int().min(0),
  currentSeq: z.number().int().min(0),
});

const feedEntrySchema = z.object({ feedId: feedIdSchema, event: envelopeSchema });
/** The ack of `catch_up` (`{ ok: true, ...CatchUpResult }`; a refusal is `{ ok: false, error }`). */
export const catchUpResultSchema: z.ZodType<CatchUpResult> = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('replay'),
    events: z.array(feedEntrySchema),
    lastEventId: feedIdSchema,
    more: z.boolean(),
  }),
  z.object({
    status: z.literal('resync_required'),
    reason: z.enum(['window_exceeded', 'feed_reset']),
    lastEventId: feedIdSchema,
  }),
]) as z.ZodType<CatchUpResult>;

export interface SocketEvent {
  summary: string;
  /** A payload schema, or the domain event type forwarded in its envelope. */
  payload: z.ZodType | { envelopeOf: EventType };
}

const envelope = (type: EventType, summary: string): SocketEvent => ({
  summary,
  payload: { envelopeOf: type },
});

/** `/dispatch`, server → console. */
export const dispatchServerEvents = {
  'incident.created': envelope('incident.created', 'A new incident of the agency'),
  'incident.updated': envelope(
    'incident.updated',
    'An incident’s attributes changed, e.g. its priority (agency and incident subscribers)',
  ),
  'incident.status_changed': envelope(
    'incident.status_changed',
    'An incident changed status, e.g. closed (agency and incident subscribers)',
  ),
  'unit.status_changed': envelope('unit.status_changed', 'A unit changed status'),
  'unit.updated': envelope('unit.updated', 'A unit was created or changed'),
  'assignment.created': envelope(
    'assignment.created',
    'A unit was dispatched to an incident (every console of the agency)',
  ),
  'assignment.updated': envelope(
    'assignment.updated',
    'An assignment advanced a step (every console of the agency)',
  ),
  'assignment.unacknowledged': envelope(
    'assignment.unacknowledged',
    'A critical command went unacknowledged: escalation (every console of the agency)',
  ),
  'command.acknowledged': envelope(
    'command.acknowledged',
    'A device acknowledged a command (delivered, seen, accepted, declined), with the command’s ' +
      '`assignmentId`/`incidentId`/`allCallId` (agency and incident subscribers)',
  ),
  'geofence.entered': envelope(
    'geofence.entered',
    'A unit entered a zone (agency, zone subscribers)',
  ),
  'geofence.exited': envelope('geofence.exited', 'A unit left a zone (agency, zone subscribers)'),
  'geofence.dwell': envelope('geofence.dwell', 'A unit stayed in a zone past its dwell time'),
  'note.added': envelope(
    'note.added',
    'A note was added to an incident (agency and incident subscribers) or to a unit',
  ),
  'call.received': envelope('call.received', 'A call was taken (possible duplicate flagged)'),
  'call.linked': envelope(
    'call.linked',
    'A call was linked to an incident (agency and incident subscribers)',
  ),
  'incidents.linked': envelope(
    'incidents.linked',
    'A duplicate was merged into its primary, or calls split off into a new incident',
  ),
  'units.moved': {
    summary: 'Coalesced newest fix per unit (volatile, about every 500 ms)',
    payload: unitsMovedBatchSchema,
  },
  notice: {
    summary: 'The server is about to close the socket on purpose (shutdown, expiry, revocation)',
    payload: serverNoticeSchema,
  },
  error: { summary: 'A rejected message or a server-side problem', payload: socketErrorSchema },
} satisfies Record<keyof DispatchServerToClientEvents, SocketEvent>;

/** `/dispatch`, console → server (each answers through its ack callback). */
export const dispatchClientEvents = {
  subscribe: {
    summary: 'Join an incident’s or a zone’s room (ack: `{ ok, room }` or `{ ok: false, error }`)',
    payload: subscriptionRequestSchema,
  },
  unsubscribe: {
    summary: 'Leave an incident’s or a zone’s room',
    payload: subscriptionRequestSchema,
  },
  catch_up: {
    summary:
      'Replay the agency’s feed after `lastEventId` (ack: `CatchUpResult`, see ' +
      '`DispatchCatchUpResult`): `replay` with the events in feed order (page again while ' +
      '`more`), or `resync_required` when the id is older than the feed’s window',
    payload: catchUpRequestSchema,
  },
} satisfies Record<keyof DispatchClientToServerEvents, SocketEvent>;

/** `/field`, server → device. */
export const fieldServerEvents = {
  command: {
    summary: 'A command for the unit or user with its per-recipient gap-free `seq`',
    payload: deliveredCommandSchema,
  },
  resync: {
    summary: 'Commands were lost to retention (or the log restarted): reload over REST',
    payload: resyncNoticeSchema,
  },
  notice: {
    summary: 'The server is about to close the socket on purpose (shutdown, expiry, revocation)',
    payload: serverNoticeSchema,
  },
  error: { summary: 'A rejected message or a server-side problem', payload: socketErrorSchema },
} satisfies Record<keyof FieldServerToClientEvents, SocketEvent>;

/** `/field`, device → server (optional ack callback: `{ ok: true, ... }` or `{ ok: false, error }`). */
export const fieldClientEvents = {
  position: {
    summary: 'One fix or a batch of fixes of the socket’s own unit (ack: `{ ok, accepted }`)',
    payload: fieldPositionMessageSchema,
  },
  'command.ack': {
    summary: 'Acknowledge a command: delivered, seen, accepted or declined (with a reason)',
    payload: commandAckRequestSchema,
  },
  resume: {
    summary: 'Replay every command after `lastSeq` / `lastUserSeq` (a seq not sent counts as 0)',
    payload: resumeRequestSchema,
  },
} satisfies Record<keyof FieldClientToServerEvents, SocketEvent>;
