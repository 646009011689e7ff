import type { AllCall, IncidentPriority } from '@gad/contracts';
import { useEffect, useState, type FormEvent } from 'react';
import { describeProblem } from './create-incident-panel';
import { useI18n } from './i18n';
import { PrioritySelect } from './priority-select';
import type { Session } from './session';
import type { ConsoleStore } from './store';

interface AllCallPanelProps {
  session: Session;
  store: ConsoleStore;
  /** Bumps when a device acknowledges any all-call (the report is read again). */
  revision: number;
}

/**
 * An all-call: a message to every on-duty unit of the agency (`POST /v1/all-calls`), then its
 * report (`GET /v1/all-calls/{id}`): each unit's furthest stage, read again as the devices'
 * acknowledgements arrive on the feed.
 */
export function AllCallPanel({ session, store, revision }: AllCallPanelProps) {
  const { t } = useI18n();
  const [title, setTitle] = useState('');
  const [message, setMessage] = useState('');
  const [priority, setPriority] = useState<IncidentPriority>('P3');
  const [report, setReport] = useState<AllCall>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const reportId = report?.id;
  useEffect(() => {
    if (!reportId) return;
    session.api.ops
      .getAllCall({ params: { id: reportId } })
      .then(({ body }) => setReport(body))
      .catch(() => undefined);
  }, [session, reportId, revision]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { body } = await session.api.ops.createAllCall({
        body: { title: title.trim(), message: message.trim(), priority },
      });
      setReport(body);
    } catch (caught) {
      setError(describeProblem(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel all-call" aria-labelledby="all-call-title">
      <h2 id="all-call-title">{t('allCall')}</h2>
      <form onSubmit={submit} data-testid="all-call-form">
        <label>
          {t('allCallTitle')}
          <input
            name="title"
            required
            maxLength={200}
            autoFocus
            value={title}
            onChange={(e) => setTitle(e.target.value)}
          />
        </label>
        <label>
          {t('allCallMessage')}
          <textarea
            name="message"
            required
            maxLength={4000}
            rows={3}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
          />
        </label>
        <label>
          {t('priority')}
          <PrioritySelect name="priority" value={priority} onChange={setPriority} />
        </label>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {t('allCallSend')}
          </button>
        </div>
      </form>
      {report ? (
        <div data-testid="all-call-report" data-all-call-id={report.id}>
          <h3>{report.title}</h3>
          <p className="summary" data-testid="all-call-summary">
            {t('allCallSummary', {
              recipients: report.summary.recipients,
              delivered: report.summary.delivered,
              seen: report.summary.seen,
              accepted: report.summary.accepted,
              declined: report.summary.declined,
            })}
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('units')}</th>
                <th scope="col">{t('status')}</th>
              </tr>
            </thead>
            <tbody>
              {report.devices.map((device) => (
                <tr
                  key={device.commandId}
                  data-testid="all-call-unit"
                  data-unit-id={device.unitId}
                  data-stage={device.stage}
                >
                  <td>{store.unitLabel(device.unitId)}</td>
                  <td>
                    <span className={`status stage-${device.stage}`}>
                      {t(`stage_${device.stage}`)}
                    </span>
                    {device.declineReason ? ` — ${device.declineReason}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
