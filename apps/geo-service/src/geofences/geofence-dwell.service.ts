import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Streams } from '@gad/contracts';
import { CLOCK, type Clock } from '@gad/platform';
import { createLogger } from '@gad/observability';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { geoInstruments } from '../metrics/geo.metrics';
import { GeoOutbox } from './geo-outbox.service';
import { GeofencesRepository } from './geofences.repository';

/** Dwell events written per statement; a pass repeats while a statement fills up. */
export const DWELL_BATCH = 500;

/**
 * `geofence.dwell` on time for units that stop reporting inside a fence: fixes fire dwell when
 * they show the threshold passed, so a silent unit would never get one. Every
 * `GEOFENCE_DWELL_CHECK_MS` the stays past their threshold that no fix fired get their event
 * (timed when the threshold was reached). Replicas may run it at once (rows are claimed with
 * `SKIP LOCKED`).
 */
@Injectable()
export class GeofenceDwellService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('geofence-dwell');
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repository: GeofencesRepository,
    private readonly outbox: GeoOutbox,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GEO_SERVICE_CONFIG) private readonly config: GeoServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() =>
        this.fireDue().catch((error: unknown) =>
          this.logger.error({ error: String(error) }, 'dwell check failed'),
        ),
      );
    }, this.config.GEOFENCE_DWELL_CHECK_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: fires every dwell that is due now; returns how many. */
  async fireDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const fired = await this.repository.fireDueDwells(
        Streams.GeoEvents,
        this.clock.now(),
        DWELL_BATCH,
      );
      total += fired;
      if (fired < DWELL_BATCH) {
        break;
      }
    }
    if (total > 0) {
      geoInstruments().geofenceEvents.add(total, { type: 'geofence.dwell' });
      this.outbox.nudge();
    }
    return total;
  }
}
