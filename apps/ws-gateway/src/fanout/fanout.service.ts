import { Injectable } from '@nestjs/common';
import {
  roomOf,
  SocketErrorCodes,
  traceIdOf,
  type CommandAcknowledgedV1,
  type Envelope,
  type FeedMeta,
  type ServerNotice,
  type UserSessionsRevokedV1,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { OwnershipRepository } from '../ownership/ownership.repository';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import type { SocketIdentity } from '../realtime/socket-auth';
import { wsInstruments } from '../realtime/ws.metrics';
import { ConsoleFeedRepository } from './console-feed.repository';

interface AckQueue {
  pending: Envelope<CommandAcknowledgedV1>[];
  draining: boolean;
}

/** Server-side event that carries a revocation to the other gateway instances. */
export const REVOKE_EVENT = 'gad:sessions-revoked';

export interface Revocation {
  agencyId: string;
  userId: string;
  reason: string;
  sessionId?: string;
}

/**
 * Emits domain events to the rooms of `/dispatch` that should see them; the adapter spreads each
 * emit to the other instances. Every room but the agency's is agency-qualified. Every event a
 * console shows goes to the agency's room (never another agency's) and is first appended to the
 * agency's feed ({@link ConsoleFeedRepository}); its feed id travels as the emit's second
 * argument, so a console can catch up from it after a reconnect.
 */
@Injectable()
export class FanoutService {
  private readonly logger = createLogger('fanout');
  private readonly metrics = wsInstruments();
  /** Acks waiting for their agency's feed append, per agency. */
  private readonly ackQueues = new Map<string, AckQueue>();

  constructor(
    private readonly namespaces: NamespacesRegistry,
    private readonly ownership: OwnershipRepository,
    private readonly feed: ConsoleFeedRepository,
  ) {}

  /** Agency-wide events (`unit.*`): every console of the agency. */
  async toAgency(envelope: Envelope): Promise<void> {
    await this.publish(envelope, [roomOf.agency(envelope.agencyId)]);
  }

  /** `incident.created`: remembered as the agency's (subscription checks), then to the agency. */
  async incidentCreated(envelope: Envelope<{ incidentId: string }>): Promise<void> {
    await this.toAgencyAndIncident(envelope);
    await this.ownership.remember('incident', envelope.data.incidentId, envelope.agencyId);
  }

  /**
   * `incident.*` and `assignment.*` (created, each status step, escalation): every console of the
   * agency, without subscribing, and the incident's subscribers (a socket in both rooms gets it
   * once).
   */
  async toAgencyAndIncident(envelope: Envelope<{ incidentId: string }>): Promise<void> {
    await this.publish(envelope, [
      roomOf.agency(envelope.agencyId),
      roomOf.incident(envelope.agencyId, envelope.data.incidentId),
    ]);
  }

  /**
   * `geofence.*`: every console of the agency, the zone's subscribers and, for a perimeter, the
   * incident's.
   */
  async toZone(envelope: Envelope<{ geofenceId: string; incidentId?: string }>): Promise<void> {
    const { geofenceId, incidentId } = envelope.data;
    const rooms = [roomOf.agency(envelope.agencyId), roomOf.zone(envelope.agencyId, geofenceId)];
    if (incidentId) {
      rooms.push(roomOf.incident(envelope.agencyId, incidentId));
    }
    await this.publish(envelope, rooms);
    await this.ownership.remember('zone', geofenceId, envelope.agencyId);
  }

  /**
   * `command.acknowledged`, on the instance that received the device's ack (docs/adr/0020): each
   * stage of each device's acknowledgement, with its command's references, to every console of
   * the agency and the incident's subscribers. Queued per agency and not awaited by the device's
   * ack: the acks that arrive while one agency's append is in flight go in the next append, all
   * in one round trip and in arrival order, so on this instance feed ids grow in the order
   * consoles receive them. A failed append is logged and counted (the consoles see the stage on
   * their next reload; the ack itself is on `gad:field:acks` already).
   */
  commandAcknowledged(envelope: Envelope<CommandAcknowledgedV1>): void {
    const queue = this.ackQueues.get(envelope.agencyId) ?? { pending: [], draining: false };
    this.ackQueues.set(envelope.agencyId, queue);
    queue.pending.push(envelope);
    if (!queue.draining) {
      void this.drainAcks(envelope.agencyId, queue);
    }
  }

  private async drainAcks(agencyId: string, queue: AckQueue): Promise<void> {
    queue.draining = true;
    try {
      while (queue.pending.length > 0) {
        const batch = queue.pending.splice(0);
        try {
          const ids = await this.feed.appendMany(agencyId, batch);
          batch.forEach((envelope, index) => {
            const rooms = [roomOf.agency(agencyId)];
            if (envelope.data.incidentId) {
              rooms.push(roomOf.incident(agencyId, envelope.data.incidentId));
            }
            this.emit(envelope, rooms, { feedId: ids[index] });
          });
        } catch (error) {
          this.metrics.sendErrors.add(batch.length, { reason: 'ack_feed_append' });
          this.logger.warn(
            { err: error, agencyId, acks: batch.length },
            'acks not appended to the console feed',
          );
        }
      }
    } finally {
      queue.draining = false;
      if (queue.pending.length === 0 && this.ackQueues.get(agencyId) === queue) {
        this.ackQueues.delete(agencyId);
      }
    }
  }

  /**
   * `user.sessions_revoked`: every instance (this one directly, the others through the adapter's
   * server-side emit) tells the user's local sockets why and disconnects them: only those of the
   * revoked session when `sessionId` is given and tokens carry a `sid` claim, else all of them.
   */
  revokeSessions(envelope: Envelope<UserSessionsRevokedV1>): void {
    const revocation: Revocation = {
      agencyId: envelope.agencyId,
      userId: envelope.data.userId,
      reason: envelope.data.reason,
      ...(envelope.data.sessionId ? { sessionId: envelope.data.sessionId } : {}),
    };
    this.namespaces.dispatch?.serverSideEmit(REVOKE_EVENT, revocation);
    const disconnected = this.revokeLocally(revocation);
    this.logger.info(
      { ...revocation, disconnected, eventId: envelope.id },
      'user sessions revoked',
    );
  }

  /** Disconnects this instance's sockets of a revoked user (notice first, on the same socket). */
  revokeLocally(revocation: Revocation): number {
    const room = roomOf.user(revocation.agencyId, revocation.userId);
    const notice: ServerNotice = {
      code: SocketErrorCodes.SessionRevoked,
      message: `session revoked (${revocation.reason}); sign in again`,
    };
    let disconnected = 0;
    for (const namespace of this.namespaces.all()) {
      for (const id of [...(namespace.adapter.rooms.get(room) ?? [])]) {
        const socket = namespace.sockets.get(id);
        const sid = (socket?.data as SocketIdentity | undefined)?.user.sid;
        if (socket && (!revocation.sessionId || !sid || sid === revocation.sessionId)) {
          socket.emit('notice', notice);
          (socket.data as SocketIdentity).revokedFor = revocation.reason;
          // This namespace's socket only: the connection may carry another user's socket.
          socket.disconnect();
          disconnected += 1;
        }
      }
    }
    if (disconnected > 0) {
      this.logger.info({ ...revocation, disconnected }, 'user sockets disconnected');
    }
    return disconnected;
  }

  /**
   * Appends the event to the agency's feed, then emits it with its feed id. A failed append throws
   * (the bus delivers the event again), so a console never sees an event it could not catch up on.
   */
  private async publish(envelope: Envelope, rooms: string[]): Promise<void> {
    const feedId = await this.feed.append(envelope);
    this.emit(envelope, rooms, { feedId });
  }

  private emit(envelope: Envelope, rooms: string[], meta: FeedMeta): void {
    const dispatch = this.namespaces.dispatch;
    if (!dispatch) {
      return;
    }
    dispatch.to(rooms).emit(envelope.type, envelope, meta);
    this.metrics.messagesOut.add(1, { namespace: 'dispatch', event: envelope.type });
    this.metrics.emitLatency.record(Date.now() - Date.parse(envelope.occurredAt), {
      event: envelope.type,
    });
    this.logger.info(
      {
        eventId: envelope.id,
        feedId: meta.feedId,
        type: envelope.type,
        room: rooms.join(','),
        eventTraceId: traceIdOf(envelope.traceparent),
      },
      'event emitted',
    );
  }
}
