import type { UnitMovedV1 } from '@gad/contracts';
import type { NamespacesRegistry } from '../realtime/namespaces.registry';
import type { WsGatewayConfig } from '../ws-gateway.config';
import { PositionCoalescer } from './position-coalescer';

const moved = (unitId: string, recordedAt: string, seq = 1): UnitMovedV1 => ({
  unitId,
  position: { type: 'Point', coordinates: [-3.7, 40.4] },
  recordedAt,
  seq,
});

describe('PositionCoalescer', () => {
  const emitted: { room: string; event: string; batch: unknown }[] = [];
  const namespace = {
    to: (room: string) => ({
      volatile: { emit: (event: string, batch: unknown) => emitted.push({ room, event, batch }) },
    }),
  };
  const sut = new PositionCoalescer(
    { WS_POSITIONS_BATCH_MS: 500 } as WsGatewayConfig,
    { dispatch: namespace } as unknown as NamespacesRegistry,
  );

  beforeEach(() => emitted.splice(0));

  it('sends one volatile batch per agency with the newest fix per unit', () => {
    sut.add('a', moved('u1', '2026-01-01T00:00:01Z'));
    sut.add('a', moved('u1', '2026-01-01T00:00:03Z'));
    sut.add('a', moved('u1', '2026-01-01T00:00:02Z'));
    sut.add('a', moved('u2', '2026-01-01T00:00:01Z'));
    sut.add('b', moved('u9', '2026-01-01T00:00:01Z'));
    sut.flush();
    expect(emitted.map((e) => [e.room, e.event])).toEqual([
      ['agency:a', 'units.moved'],
      ['agency:b', 'units.moved'],
    ]);
    const first = emitted[0].batch as { units: UnitMovedV1[] };
    expect(first.units.map((u) => [u.unitId, u.recordedAt])).toEqual([
      ['u1', '2026-01-01T00:00:03Z'],
      ['u2', '2026-01-01T00:00:01Z'],
    ]);
  });

  it('sends nothing when nothing moved', () => {
    sut.flush();
    expect(emitted).toEqual([]);
  });
});
