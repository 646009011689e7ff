import { isGadProblemError } from '@gad/client';
import {
  DEFAULT_DISPOSITION_CODES,
  type IncidentPriority,
  type IncidentStatus,
  type NearestUnitsResponse,
  type PlanProposal,
  type TimelineEntry,
} from '@gad/contracts';
import { useCallback, useEffect, useState } from 'react';
import { describeProblem } from './create-incident-panel';
import { useI18n, type Translate } from './i18n';
import { PrioritySelect } from './priority-select';
import type { Session } from './session';
import type { ConsoleStore, EscalationView, IncidentView } from './store';

const STATUSES: IncidentStatus[] = [
  'new',
  'dispatched',
  'in_progress',
  'resolved',
  'closed',
  'cancelled',
];
const SHOWN_STAGES = [
  'notified',
  'delivered',
  'seen',
  'accepted',
  'declined',
  'en_route',
  'on_scene',
  'cleared',
];

interface IncidentDetailPanelProps {
  session: Session;
  store: ConsoleStore;
  incident: IncidentView;
  revision: number;
  escalations: EscalationView[];
  onClose: () => void;
}

type Message = { kind: 'ok' | 'error' | 'conflict'; text: string } | undefined;

/**
 * One incident: its data, priority and status changes (sent with `If-Match`; a 412 reloads the
 * incident and says so), the nearest available units with distance, fix age and the excluded
 * counts, dispatch, each assigned unit's acknowledgement stages live, escalations, the timeline.
 */
export function IncidentDetailPanel(props: IncidentDetailPanelProps) {
  const { session, store, incident, revision } = props;
  const { t } = useI18n();
  const [etag, setEtag] = useState<string>();
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [priority, setPriority] = useState<IncidentPriority>(incident.priority);
  const [status, setStatus] = useState<IncidentStatus>(incident.status);
  const [nearest, setNearest] = useState<NearestUnitsResponse>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>();
  const [dispositions, setDispositions] = useState<readonly string[]>(DEFAULT_DISPOSITION_CODES);
  const [disposition, setDisposition] = useState<string>('');
  const [summary, setSummary] = useState('');
  const [plan, setPlan] = useState<PlanProposal>();

  useEffect(() => {
    // The agency's own disposition codes (closing needs one of them).
    session.api.ops
      .getAgencySettings()
      .then(({ body }) => setDispositions(body.settings.dispositionCodes))
      .catch(() => undefined);
  }, [session]);

  const load = useCallback(async () => {
    const api = session.api;
    const [current, entries, assignments] = await Promise.all([
      api.ops.getIncident({ params: { id: incident.id } }),
      api.ops.getIncidentTimeline({ params: { id: incident.id } }).catch(() => undefined),
      api.ops.listIncidentAssignments({ params: { id: incident.id } }).catch(() => undefined),
    ]);
    setEtag(current.meta.etag);
    store.putIncidentQuietly(current.body);
    if (entries) setTimeline(entries.body.items);
    if (assignments) store.putAssignments(assignments.body.items);
  }, [session, store, incident.id]);

  useEffect(() => {
    setPriority(incident.priority);
    setStatus(incident.status);
  }, [incident.id, incident.priority, incident.status]);

  useEffect(() => {
    setNearest(undefined);
    setMessage(undefined);
    void store.follow(incident.id);
  }, [store, incident.id]);

  useEffect(() => {
    load().catch(() => undefined);
  }, [load, revision]);

  async function change(
    run: () => Promise<{
      body: Parameters<ConsoleStore['putIncident']>[0];
      meta: { etag?: string };
    }>,
  ) {
    setBusy(true);
    setMessage(undefined);
    try {
      const { body, meta } = await run();
      setEtag(meta.etag);
      store.putIncident(body);
      setMessage({ kind: 'ok', text: t('saved') });
    } catch (caught) {
      if (isGadProblemError(caught) && caught.status === 412) {
        await load().catch(() => undefined);
        setMessage({ kind: 'conflict', text: t('conflict') });
      } else {
        setMessage({ kind: 'error', text: describeProblem(caught) });
      }
    } finally {
      setBusy(false);
    }
  }

  const applyPriority = () =>
    change(() =>
      session.api.ops.updateIncident(
        { params: { id: incident.id }, body: { priority } },
        { ifMatch: etag ?? versionTag(incident) },
      ),
    );
  const applyStatus = () =>
    change(() =>
      session.api.ops.changeIncidentStatus(
        {
          params: { id: incident.id },
          body: {
            status,
            ...(disposition && (status === 'closed' || status === 'cancelled')
              ? { disposition, ...(summary.trim() ? { summary: summary.trim() } : {}) }
              : {}),
          },
        },
        { ifMatch: etag ?? versionTag(incident) },
      ),
    );

  async function recommend() {
    setBusy(true);
    setMessage(undefined);
    try {
      const [lon, lat] = incident.location.coordinates as [number, number];
      const { body } = await session.api.units.nearest({ lon, lat, limit: 5 });
      setNearest(body);
    } catch (caught) {
      setMessage({ kind: 'error', text: describeProblem(caught) });
    } finally {
      setBusy(false);
    }
  }

  /** The response plan of the incident's type, with the nearest eligible unit per requirement. */
  async function proposePlan() {
    setBusy(true);
    setMessage(undefined);
    try {
      const { body } = await session.api.ops.getIncidentPlan({ params: { id: incident.id } });
      setPlan(body);
    } catch (caught) {
      setPlan(undefined);
      setMessage({ kind: 'error', text: describeProblem(caught) });
    } finally {
      setBusy(false);
    }
  }

  /** Dispatches every proposed unit in one step and says what could not be filled. */
  async function dispatchPlan() {
    setBusy(true);
    setMessage(undefined);
    try {
      const { body } = await session.api.ops.dispatchIncidentPlan({
        params: { id: incident.id },
        body: {},
      });
      store.putAssignments(body.assignments);
      setPlan(undefined);
      setMessage(
        body.unfilled.length === 0
          ? { kind: 'ok', text: t('planDispatched', { count: body.assignments.length }) }
          : {
              kind: 'error',
              text: t('planUnfilled', {
                count: body.assignments.length,
                missing: body.unfilled
                  .map((line) => `${line.missing} × ${describeLine(line)}`)
                  .join(', '),
              }),
            },
      );
      void store.refreshIncident(incident.id);
    } catch (caught) {
      setMessage({ kind: 'error', text: describeProblem(caught) });
    } finally {
      setBusy(false);
    }
  }

  async function dispatch(unitId?: string) {
    setBusy(true);
    setMessage(undefined);
    try {
      const { body } = await session.api.ops.createAssignment({
        params: { id: incident.id },
        body: unitId ? { unitId } : { strategy: 'nearest' },
      });
      store.putAssignments([body]);
      setNearest(undefined);
      setMessage({ kind: 'ok', text: t('dispatched') });
      void store.refreshIncident(incident.id);
    } catch (caught) {
      setMessage({ kind: 'error', text: describeProblem(caught) });
    } finally {
      setBusy(false);
    }
  }

  const assignments = store.assignmentsOf(incident.id);
  const [lon, lat] = incident.location.coordinates as [number, number];

  return (
    <section
      className="panel detail"
      aria-labelledby="detail-title"
      data-testid="incident-detail"
      data-incident-id={incident.id}
    >
      <header className="detail-head">
        <h2 id="detail-title">
          <span className={`badge priority-${incident.priority}`} data-testid="detail-priority">
            {incident.priority}
          </span>{' '}
          {incident.type}
        </h2>
        <button
          type="button"
          className="secondary"
          onClick={props.onClose}
          aria-keyshortcuts="Escape"
        >
          {t('back')}
        </button>
      </header>
      {props.escalations.map((escalation) => (
        <p
          key={escalation.assignmentId}
          className="escalation"
          role="alert"
          data-testid="detail-escalation"
        >
          <strong>{t('escalation')}:</strong>{' '}
          {t('escalationText', {
            unit: store.unitLabel(escalation.unitId),
            incident: incident.type,
            seconds: Math.round(escalation.waitedMs / 1000),
            stage: escalation.lastStage ? t(`stage_${escalation.lastStage}`) : t('noAck'),
          })}
        </p>
      ))}
      <dl className="facts">
        <dt>{t('status')}</dt>
        <dd data-testid="detail-status" data-status={incident.status}>
          {t(`incident_${incident.status}`)}
        </dd>
        <dt>{t('coordinates')}</dt>
        <dd>
          {lat.toFixed(5)}, {lon.toFixed(5)}
        </dd>
        {incident.address ? (
          <>
            <dt>{t('address')}</dt>
            <dd>{incident.address}</dd>
          </>
        ) : null}
        {incident.description ? (
          <>
            <dt>{t('description')}</dt>
            <dd>{incident.description}</dd>
          </>
        ) : null}
      </dl>

      <div className="changes">
        <label>
          {t('changePriority')}
          <PrioritySelect testId="priority-select" value={priority} onChange={setPriority} />
        </label>
        <button
          type="button"
          data-testid="apply-priority"
          disabled={busy || priority === incident.priority}
          onClick={applyPriority}
        >
          {t('apply')}
        </button>
        <label>
          {t('changeStatus')}
          <select
            data-testid="status-select"
            value={status}
            onChange={(e) => setStatus(e.target.value as IncidentStatus)}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`incident_${s}`)}
              </option>
            ))}
          </select>
        </label>
        {status === 'closed' || status === 'cancelled' ? (
          <>
            <label>
              {t('disposition')}
              <select
                data-testid="disposition-select"
                value={disposition}
                onChange={(e) => setDisposition(e.target.value)}
              >
                <option value="">—</option>
                {dispositions.map((code) => (
                  <option key={code} value={code}>
                    {dispositionLabel(t, code)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('summary')}
              <input
                data-testid="disposition-summary"
                value={summary}
                maxLength={4000}
                onChange={(e) => setSummary(e.target.value)}
              />
            </label>
          </>
        ) : null}
        <button
          type="button"
          data-testid="apply-status"
          disabled={busy || status === incident.status || (status === 'closed' && !disposition)}
          onClick={applyStatus}
        >
          {t('apply')}
        </button>
      </div>
      {message ? (
        <p
          className={`message ${message.kind}`}
          role={message.kind === 'ok' ? 'status' : 'alert'}
          data-testid="detail-message"
          data-kind={message.kind}
        >
          {message.text}
        </p>
      ) : null}

      <h3>{t('assignments')}</h3>
      {assignments.length === 0 ? <p className="empty">{t('noAssignments')}</p> : null}
      <ul className="assignments" data-testid="assignments">
        {assignments.map((assignment) => (
          <li
            key={assignment.id}
            data-testid="assignment"
            data-unit-id={assignment.unitId}
            data-status={assignment.status}
          >
            <strong>{assignment.callSign ?? store.unitLabel(assignment.unitId)}</strong>{' '}
            <span className={`status stage-${assignment.status}`}>
              {t(`stage_${assignment.status}`)}
            </span>
            <ol className="stages">
              {SHOWN_STAGES.filter((stage) => assignment.steps[stage]).map((stage) => (
                <li key={stage} data-stage={stage}>
                  {t(`stage_${stage}`)}{' '}
                  {new Date(assignment.steps[stage] as string).toLocaleTimeString()}
                </li>
              ))}
            </ol>
            {assignment.declineReason ? (
              <p className="decline">{assignment.declineReason}</p>
            ) : null}
          </li>
        ))}
      </ul>

      <div className="dispatch-actions">
        <button type="button" data-testid="recommend" disabled={busy} onClick={recommend}>
          {t('recommend')}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => dispatch()}>
          {t('dispatchNearest')}
        </button>
        <button type="button" data-testid="propose-plan" disabled={busy} onClick={proposePlan}>
          {t('responsePlan')}
        </button>
      </div>
      {plan ? (
        <div className="plan" data-testid="plan">
          <h3>{t('responsePlan')}</h3>
          <ul>
            {plan.lines.map((line) => (
              <li key={line.index} data-testid="plan-line" data-missing={line.missing}>
                <strong>
                  {line.count} × {describeLine(line)}
                </strong>
                {': '}
                {[
                  ...line.assigned.map((unit) => `${unit.callSign} ✓`),
                  ...line.recommended.map(
                    (unit) => `${unit.callSign} (${Math.round(unit.distanceM ?? 0)} m)`,
                  ),
                ].join(', ') || '—'}
                {line.missing > 0 ? ` — ${t('planMissing', { count: line.missing })}` : null}
              </li>
            ))}
          </ul>
          <button
            type="button"
            data-testid="dispatch-plan"
            disabled={busy || plan.lines.every((line) => line.recommended.length === 0)}
            onClick={dispatchPlan}
          >
            {t('dispatchPlan')}
          </button>
        </div>
      ) : null}
      {nearest ? (
        <div className="recommendations" data-testid="recommendations">
          <h3>{t('recommendations')}</h3>
          {nearest.items.length === 0 ? <p className="empty">{t('noRecommendations')}</p> : null}
          <table>
            <thead>
              <tr>
                <th scope="col">{t('units')}</th>
                <th scope="col">{t('distance')}</th>
                <th scope="col">{t('fixAge')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {nearest.items.map((unit) => (
                <tr key={unit.unitId} data-testid="recommendation" data-unit-id={unit.unitId}>
                  <td>{unit.callSign ?? store.unitLabel(unit.unitId)}</td>
                  <td>
                    {Math.round(unit.distanceM)} {t('metres')}
                  </td>
                  <td>
                    {unit.ageS !== undefined ? `${Math.round(unit.ageS)} ${t('seconds')}` : '—'}
                  </td>
                  <td>
                    <button
                      type="button"
                      data-testid="dispatch-unit"
                      disabled={busy}
                      onClick={() => dispatch(unit.unitId)}
                    >
                      {t('dispatch')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {nearest.excluded ? (
            <p className="excluded" data-testid="excluded">
              {t('excluded')}:{' '}
              {Object.entries(nearest.excluded)
                .map(([reason, count]) => `${count} ${t(`excluded_${reason}`)}`)
                .join(' · ')}
            </p>
          ) : null}
        </div>
      ) : null}

      <h3>{t('timeline')}</h3>
      <ol className="timeline" data-testid="timeline">
        {timeline.map((entry) => (
          <li key={entry.id}>
            <time dateTime={entry.at}>{new Date(entry.at).toLocaleTimeString()}</time>{' '}
            {entry.message}
            {entry.reason ? ` — ${entry.reason}` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}

const versionTag = (incident: IncidentView): string | undefined =>
  incident.version !== undefined ? `"${incident.version}"` : undefined;

/** A disposition's name in the console's language (the code itself for an agency's own). */
function dispositionLabel(t: Translate, code: string): string {
  const label = t(`disposition_${code}`);
  return label === `disposition_${code}` ? code : label;
}

/** "engine with als" for a plan line. */
function describeLine(line: { unitType: string | null; capabilities: readonly string[] }): string {
  const what = line.unitType ?? '*';
  return line.capabilities.length > 0 ? `${what} + ${line.capabilities.join(', ')}` : what;
}
