import { Injectable } from '@nestjs/common';
import {
  roomOf,
  SocketErrorCodes,
  traceIdOf,
  type Envelope,
  type ServerNotice,
  type UserSessionsRevokedV1,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { OwnershipRepository } from '../ownership/ownership.repository';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import type { SocketIdentity } from '../realtime/socket-auth';
import { wsInstruments } from '../realtime/ws.metrics';

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
 * emit to the other instances. Every room but the agency's is agency-qualified.
 */
@Injectable()
export class FanoutService {
  private readonly logger = createLogger('fanout');
  private readonly metrics = wsInstruments();

  constructor(
    private readonly namespaces: NamespacesRegistry,
    private readonly ownership: OwnershipRepository,
  ) {}

  /** Agency-wide events: every console of the agency. */
  toAgency(envelope: Envelope): void {
    this.emit(envelope, [roomOf.agency(envelope.agencyId)]);
  }

  /** `incident.created`: remembered as the agency's (subscription checks), then to the agency. */
  async incidentCreated(envelope: Envelope<{ incidentId: string }>): Promise<void> {
    // Emitted first: events are handled concurrently, and later sync emits must not overtake it.
    this.toAgency(envelope);
    await this.ownership.remember('incident', envelope.data.incidentId, envelope.agencyId);
  }

  /**
   * `assignment.*` (created, each status step, escalation): every console of the agency, without
   * subscribing, and the incident's subscribers (a socket in both rooms gets it once).
   */
  toAgencyAndIncident(envelope: Envelope<{ incidentId: string }>): void {
    this.emit(envelope, [
      roomOf.agency(envelope.agencyId),
      roomOf.incident(envelope.agencyId, envelope.data.incidentId),
    ]);
  }

  /** `geofence.*`: consoles subscribed to the zone (and to the incident of a perimeter). */
  async toZone(envelope: Envelope<{ geofenceId: string; incidentId?: string }>): Promise<void> {
    const { geofenceId, incidentId } = envelope.data;
    const rooms = [roomOf.zone(envelope.agencyId, geofenceId)];
    if (incidentId) {
      rooms.push(roomOf.incident(envelope.agencyId, incidentId));
    }
    this.emit(envelope, rooms);
    await this.ownership.remember('zone', geofenceId, envelope.agencyId);
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

  private emit(envelope: Envelope, rooms: string[]): void {
    const dispatch = this.namespaces.dispatch;
    if (!dispatch) {
      return;
    }
    dispatch.to(rooms).emit(envelope.type, envelope);
    this.metrics.messagesOut.add(1, { namespace: 'dispatch', event: envelope.type });
    this.metrics.emitLatency.record(Date.now() - Date.parse(envelope.occurredAt), {
      event: envelope.type,
    });
    this.logger.info(
      {
        eventId: envelope.id,
        type: envelope.type,
        room: rooms.join(','),
        eventTraceId: traceIdOf(envelope.traceparent),
      },
      'event emitted',
    );
  }
}
