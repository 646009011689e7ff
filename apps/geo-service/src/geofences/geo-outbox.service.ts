import { Injectable, Optional } from '@nestjs/common';
import { OutboxRelay } from '@gad/bus';

/**
 * The `geo.outbox` as seen by the domain: rows are written by the geofence SQL inside the
 * ingestion transaction; after commit the relay is nudged to send them at once.
 */
@Injectable()
export class GeoOutbox {
  constructor(@Optional() private readonly relay?: OutboxRelay) {}

  nudge(): void {
    this.relay?.nudge();
  }
}
