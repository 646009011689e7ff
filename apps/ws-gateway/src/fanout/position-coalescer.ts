import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { roomOf, type UnitMovedV1, type UnitsMovedBatch } from '@gad/contracts';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import { wsInstruments } from '../realtime/ws.metrics';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';

/**
 * `unit.moved` to consoles: the newest fix per unit, per agency, sent every `WS_POSITIONS_BATCH_MS`
 * as one volatile `units.moved` batch (a console that cannot keep up drops stale positions, never
 * commands or domain events).
 */
@Injectable()
export class PositionCoalescer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly metrics = wsInstruments();
  private pending = new Map<string, Map<string, UnitMovedV1>>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(WS_GATEWAY_CONFIG) private readonly config: WsGatewayConfig,
    private readonly namespaces: NamespacesRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.flush(), this.config.WS_POSITIONS_BATCH_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Throws `InvalidRoomIdError` for an agency id that names no room (never later, in flush). */
  add(agencyId: string, moved: UnitMovedV1): void {
    roomOf.agency(agencyId);
    let units = this.pending.get(agencyId);
    if (!units) {
      units = new Map();
      this.pending.set(agencyId, units);
    }
    const previous = units.get(moved.unitId);
    if (!previous || isNewer(moved, previous)) {
      units.set(moved.unitId, moved);
    }
  }

  flush(): void {
    if (this.pending.size === 0) {
      return;
    }
    const batches = this.pending;
    this.pending = new Map();
    const sentAt = new Date().toISOString();
    for (const [agencyId, units] of batches) {
      const batch: UnitsMovedBatch = { agencyId, units: [...units.values()], sentAt };
      this.namespaces.dispatch?.to(roomOf.agency(agencyId)).volatile.emit('units.moved', batch);
      this.metrics.messagesOut.add(1, { namespace: 'dispatch', event: 'units.moved' });
    }
  }
}

function isNewer(a: UnitMovedV1, b: UnitMovedV1): boolean {
  const at = Date.parse(a.recordedAt) - Date.parse(b.recordedAt);
  return at > 0 || (at === 0 && a.seq >= b.seq);
}
