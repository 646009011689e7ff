import type { UnitStatus } from '@gad/contracts';
import { useEffect, useState } from 'react';
import { describeProblem } from './create-incident-panel';
import { useI18n } from './i18n';
import { UNIT_COLOURS } from './map-view';
import type { Session } from './session';
import type { ConsoleStore } from './store';

const STATUSES: UnitStatus[] = [
  'available',
  'dispatched',
  'en_route',
  'on_scene',
  'returning',
  'out_of_service',
  'off_duty',
];

/** The agency's units: status (changeable; the API says which moves are allowed) and fix age. */
export function UnitsPanel({ session, store }: { session: Session; store: ConsoleStore }) {
  const { t } = useI18n();
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string>();
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);

  async function setStatus(unitId: string, status: UnitStatus) {
    setError(undefined);
    try {
      const { body } = await session.api.ops.changeUnitStatus({
        params: { id: unitId },
        body: { status },
      });
      store.putUnitStatus(unitId, body.status);
    } catch (caught) {
      setError(describeProblem(caught));
    }
  }

  const units = [...store.units.values()].sort((a, b) =>
    (a.callSign ?? a.id).localeCompare(b.callSign ?? b.id),
  );
  return (
    <section className="panel units" aria-labelledby="units-title">
      <h2 id="units-title">
        {t('units')} <span className="count">({units.length})</span>
      </h2>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <table data-testid="units-table">
        <thead>
          <tr>
            <th scope="col">{t('units')}</th>
            <th scope="col">{t('status')}</th>
            <th scope="col">{t('fixAge')}</th>
          </tr>
        </thead>
        <tbody>
          {units.map((unit) => {
            const age = unit.recordedAt
              ? Math.max(0, Math.round((now - Date.parse(unit.recordedAt)) / 1000))
              : undefined;
            const stale = store.isStale(unit, now);
            return (
              <tr
                key={unit.id}
                data-testid="unit-row"
                data-unit-id={unit.id}
                data-status={unit.status}
              >
                <th scope="row">
                  <span
                    className="dot"
                    style={{ background: UNIT_COLOURS[unit.status ?? ''] ?? '#333' }}
                  />{' '}
                  {unit.callSign ?? unit.id}
                </th>
                <td>
                  <select
                    aria-label={`${t('setStatus')} ${unit.callSign ?? unit.id}`}
                    value={unit.status ?? ''}
                    onChange={(e) => void setStatus(unit.id, e.target.value as UnitStatus)}
                  >
                    {unit.status ? null : <option value="">{t('unit_unknown')}</option>}
                    {STATUSES.map((status) => (
                      <option key={status} value={status}>
                        {t(`unit_${status}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td className={stale ? 'stale' : undefined}>
                  {age === undefined ? t('noFix') : `${age} ${t('seconds')}`}
                  {stale && age !== undefined ? ` (${t('stale')})` : ''}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
