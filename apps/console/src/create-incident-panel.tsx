import { isGadProblemError } from '@gad/client';
import type { Incident, IncidentPriority } from '@gad/contracts';
import { useState, type FormEvent } from 'react';
import { useI18n } from './i18n';
import { PrioritySelect } from './priority-select';
import type { Session } from './session';

interface CreateIncidentPanelProps {
  session: Session;
  point: [number, number] | undefined;
  onPoint: (point: [number, number] | undefined) => void;
  mapCentre: () => [number, number] | undefined;
  onCreated: (incident: Incident) => void;
  onCancel: () => void;
}

/**
 * A new incident from a call: a point (a click on the map, or typed coordinates), type, priority,
 * description. Validation is the API's (problem+json field errors are shown as they come).
 */
export function CreateIncidentPanel(props: CreateIncidentPanelProps) {
  const { t } = useI18n();
  const { point, onPoint } = props;
  const [type, setType] = useState('');
  const [priority, setPriority] = useState<IncidentPriority>('P2');
  const [address, setAddress] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const setCoordinate = (index: 0 | 1, text: string) => {
    const value = Number(text);
    const next: [number, number] = point ? [...point] : [0, 0];
    next[index] = Number.isFinite(value) ? value : 0;
    onPoint(next);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!point) {
      setError(t('pickOnMap'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const { body } = await props.session.api.incidents.create({
        type: type.trim(),
        priority,
        location: { type: 'Point', coordinates: [point[1], point[0]] },
        ...(address.trim() ? { address: address.trim() } : {}),
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      props.onCreated(body);
    } catch (caught) {
      setError(describeProblem(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel create" aria-labelledby="create-title">
      <h2 id="create-title">{t('newIncident')}</h2>
      <form onSubmit={submit} data-testid="create-incident-form">
        <p className="hint">{t('pickOnMap')}</p>
        <div className="row">
          <label>
            {t('latitude')}
            <input
              name="lat"
              inputMode="decimal"
              required
              value={point ? String(round(point[0])) : ''}
              onChange={(e) => setCoordinate(0, e.target.value)}
            />
          </label>
          <label>
            {t('longitude')}
            <input
              name="lon"
              inputMode="decimal"
              required
              value={point ? String(round(point[1])) : ''}
              onChange={(e) => setCoordinate(1, e.target.value)}
            />
          </label>
        </div>
        <button type="button" className="secondary" onClick={() => onPoint(props.mapCentre())}>
          {t('useMapCentre')}
        </button>
        <label>
          {t('type')}
          <input
            name="type"
            required
            maxLength={64}
            autoFocus
            value={type}
            onChange={(e) => setType(e.target.value)}
          />
        </label>
        <label>
          {t('priority')}
          <PrioritySelect name="priority" value={priority} onChange={setPriority} />
        </label>
        <label>
          {t('address')}
          <input
            name="address"
            maxLength={500}
            value={address}
            onChange={(e) => setAddress(e.target.value)}
          />
        </label>
        <label>
          {t('description')}
          <textarea
            name="description"
            maxLength={4000}
            rows={3}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </label>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? t('creating') : t('create')}
          </button>
          <button type="button" className="secondary" onClick={props.onCancel}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

export function describeProblem(caught: unknown): string {
  if (isGadProblemError(caught)) {
    const fields = caught.errors.map((e) => `${e.pointer} ${e.message}`);
    return [caught.problem.detail ?? caught.problem.title, ...fields].filter(Boolean).join(' · ');
  }
  return caught instanceof Error ? caught.message : String(caught);
}
