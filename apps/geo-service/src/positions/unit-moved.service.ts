import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BusClient } from '@gad/bus';
import { createEnvelope, EventTypes, Streams, type Envelope } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { geoInstruments } from '../metrics/geo.metrics';
import { toUnitMovedV1 } from './positions.mapper';
import type { MovedUnit } from './positions.repository';

/** Where coalesced `unit.moved` envelopes go (the bus; a fake in unit specs). */
export abstract class UnitMovedSink {
  abstract publish(stream: string, envelopes: readonly Envelope[]): Promise<unknown>;
}

/** Published straight to the stream: `unit.moved` is superseded by the next one, so no outbox. */
export class BusUnitMovedSink extends UnitMovedSink {
  constructor(private readonly bus: BusClient) {
    super();
  }

  /** Thousands of events per flush: appended by the bus's bulk script, not one XADD each. */
  publish(stream: string, envelopes: readonly Envelope[]): Promise<unknown> {
    return this.bus.publisher.publishBulk(stream, envelopes);
  }
}

/**
 * Coalesces `unit.moved`: keeps each unit's newest fix and publishes at most one event per unit per
 * interval (trailing edge, so the last position is always sent). Bounded by the number of units.
 */
@Injectable()
export class UnitMovedService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('unit-moved');
  /** Newest fix per agency and unit; turned into event data only when published. */
  private pending = new Map<string, Map<string, MovedUnit>>();
  private pendingCount = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: UnitMovedSink,
    @Inject(GEO_SERVICE_CONFIG) private readonly config: GeoServiceConfig,
  ) {}

  /** Called for every moved unit of every batch: no per-call key strings or date parsing. */
  offer(agencyId: string, moved: MovedUnit): void {
    let units = this.pending.get(agencyId);
    if (!units) {
      units = new Map();
      this.pending.set(agencyId, units);
    }
    const current = units.get(moved.unitId);
    if (current === undefined) {
      this.pendingCount += 1;
    } else if (current.recordedAt.getTime() > moved.recordedAt.getTime()) {
      return;
    }
    units.set(moved.unitId, moved);
  }

  /** Publishes what is pending (one event per unit). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.publishPending());
    return this.flushing;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.UNIT_MOVED_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async publishPending(): Promise<void> {
    if (this.pendingCount === 0) {
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    this.pendingCount = 0;
    const envelopes: Envelope[] = [];
    for (const [agencyId, units] of batch) {
      for (const moved of units.values()) {
        envelopes.push(
          createEnvelope({
            type: EventTypes.UnitMoved,
            agencyId,
            actor: { kind: 'service', id: 'geo-service' },
            data: toUnitMovedV1(moved),
          }),
        );
      }
    }
    try {
      await this.sink.publish(Streams.GeoEvents, envelopes);
      geoInstruments().unitMoved.add(envelopes.length);
    } catch (error) {
      // Dropped on purpose: the next fix of each unit produces a fresher event.
      this.logger.warn(
        {
          events: envelopes.length,
          error: error instanceof Error ? error.message : String(error),
        },
        'could not publish unit.moved events',
      );
    }
  }
}
