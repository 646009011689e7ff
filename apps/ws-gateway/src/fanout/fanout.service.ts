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
import { OwnershipRepository } from '../dispatch/ownership.repository';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import { wsInstruments } from '../realtime/ws.metrics';

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
    await this.ownership.remember('incident', envelope.data.incidentId, envelope.agencyId);
    this.toAgency(envelope);
  }

  /** `assignment.*`: consoles subscribed to the incident. */
  toIncident(envelope: Envelope<{ incidentId: string }>): void {
    this.emit(envelope, [roomOf.incident(envelope.agencyId, envelope.data.incidentId)]);
  }

  /** `geofence.*`: consoles subscribed to the zone (and to the incident of a perimeter). */
  async toZone(envelope: Envelope<{ geofenceId: string; incidentId?: string }>): Promise<void> {
    const { geofenceId, incidentId } = envelope.data;
    await this.ownership.remember('zone', geofenceId, envelope.agencyId);
    const rooms = [roomOf.zone(envelope.agencyId, geofenceId)];
    if (incidentId) {
      rooms.push(roomOf.incident(envelope.agencyId, incidentId));
    }
    this.emit(envelope, rooms);
  }

  /**
   * `user.sessions_revoked`: every socket of the user on every instance (through the adapter) is
   * told why and disconnected. Access tokens carry no session id, so a `sessionId` cannot narrow it.
   */
  revokeSessions(envelope: Envelope<UserSessionsRevokedV1>): void {
    const { userId, reason } = envelope.data;
    const room = roomOf.user(envelope.agencyId, userId);
    const notice: ServerNotice = {
      code: SocketErrorCodes.SessionRevoked,
      message: `session revoked (${reason}); sign in again`,
    };
    for (const namespace of this.namespaces.all()) {
      namespace.to(room).emit('notice', notice);
      namespace.in(room).disconnectSockets(true);
    }
    this.logger.info({ userId, reason, eventId: envelope.id }, 'user sockets disconnected');
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
