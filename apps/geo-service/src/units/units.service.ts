import { Injectable } from '@nestjs/common';
import {
  EventTypes,
  type Envelope,
  type UnitStatusChangedV1,
  type UnitUpdatedV1,
} from '@gad/contracts';
import { geoInstruments } from '../metrics/geo.metrics';
import { UnitsRepository } from './units.repository';

/**
 * Keeps geo-service's projection of unit status and capabilities from `gad:dispatch:events`.
 * Idempotent (same event twice = same row) and ordered by the envelope's `occurredAt`.
 */
@Injectable()
export class UnitsService {
  constructor(private readonly repository: UnitsRepository) {}

  async statusChanged(envelope: Envelope<UnitStatusChangedV1>): Promise<boolean> {
    const { data } = envelope;
    const applied = await this.repository.apply({
      agencyId: envelope.agencyId,
      unitId: data.unitId,
      callSign: data.callSign,
      status: data.status,
      capabilities: data.capabilities,
      at: new Date(envelope.occurredAt),
    });
    geoInstruments().projection.add(1, {
      type: EventTypes.UnitStatusChanged,
      applied: String(applied),
    });
    return applied;
  }

  async updated(envelope: Envelope<UnitUpdatedV1>): Promise<boolean> {
    const { data } = envelope;
    const applied = await this.repository.apply({
      agencyId: envelope.agencyId,
      unitId: data.unitId,
      callSign: data.callSign,
      status: data.status,
      capabilities: data.capabilities,
      removed: data.removed,
      at: new Date(envelope.occurredAt),
    });
    geoInstruments().projection.add(1, { type: EventTypes.UnitUpdated, applied: String(applied) });
    return applied;
  }
}
