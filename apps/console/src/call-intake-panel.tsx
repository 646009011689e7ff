import type { Call, CallChannel, Incident } from '@gad/contracts';
import { useState, type FormEvent } from 'react';
import { describeProblem } from './create-incident-panel';
import { useI18n } from './i18n';
import type { Session } from './session';

const CHANNELS: CallChannel[] = ['phone', 'radio', 'app', 'alarm'];

interface CallIntakePanelProps {
  session: Session;
  /** The point picked on the map (lat, lon), shared with the incident form. */
  point: [number, number] | undefined;
  onCreated: (incident: Incident) => void;
}

/**
 * Call intake (issue #23): the call as it is taken — channel, caller, call-back number, location
 * text and the picked point, the type described — then, when the API flags it as a possible
 * duplicate, a link to the open incident; otherwise a new incident from the call.
 */
export function CallIntakePanel(props: CallIntakePanelProps) {
  const { t } = useI18n();
  const api = props.session.api;
  const [channel, setChannel] = useState<CallChannel>('phone');
  const [callerName, setCallerName] = useState('');
  const [callbackNumber, setCallbackNumber] = useState('');
  const [locationText, setLocationText] = useState('');
  const [incidentType, setIncidentType] = useState('');
  const [call, setCall] = useState<Call>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (caught) {
      setError(describeProblem(caught));
    } finally {
      setBusy(false);
    }
  }

  const take = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const { body } = await api.ops.createCall({
        body: {
          channel,
          ...(callerName.trim() ? { callerName: callerName.trim() } : {}),
          ...(callbackNumber.trim() ? { callbackNumber: callbackNumber.trim() } : {}),
          ...(locationText.trim() ? { locationText: locationText.trim() } : {}),
          ...(props.point
            ? { location: { type: 'Point', coordinates: [props.point[1], props.point[0]] } }
            : {}),
          ...(incidentType.trim() ? { incidentType: incidentType.trim() } : {}),
        },
      });
      setCall(body);
    });
  };

  const link = (incidentId: string) =>
    run(async () => {
      const { body } = await api.ops.linkCall({
        params: { id: (call as Call).id },
        body: { incidentId },
      });
      setCall(body);
      const incident = await api.ops.getIncident({ params: { id: incidentId } });
      props.onCreated(incident.body);
    });

  const createIncident = () =>
    run(async () => {
      const { body } = await api.ops.createIncidentFromCall({
        params: { id: (call as Call).id },
        body: {},
      });
      setCall(body.call);
      props.onCreated(body.incident);
    });

  return (
    <section className="panel create" aria-labelledby="call-title" data-testid="call-intake">
      <h2 id="call-title">{t('callIntake')}</h2>
      <form onSubmit={take} data-testid="call-intake-form">
        <label>
          {t('channel')}
          <select
            data-testid="call-channel"
            value={channel}
            onChange={(e) => setChannel(e.target.value as CallChannel)}
          >
            {CHANNELS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('callerName')}
          <input
            data-testid="call-caller"
            maxLength={200}
            value={callerName}
            onChange={(e) => setCallerName(e.target.value)}
          />
        </label>
        <label>
          {t('callbackNumber')}
          <input
            data-testid="call-number"
            inputMode="tel"
            maxLength={32}
            value={callbackNumber}
            onChange={(e) => setCallbackNumber(e.target.value)}
          />
        </label>
        <label>
          {t('locationText')}
          <input
            data-testid="call-location"
            maxLength={500}
            value={locationText}
            onChange={(e) => setLocationText(e.target.value)}
          />
        </label>
        <label>
          {t('type')}
          <input
            data-testid="call-type"
            maxLength={64}
            value={incidentType}
            onChange={(e) => setIncidentType(e.target.value)}
          />
        </label>
        <div className="actions">
          <button type="submit" data-testid="take-call" disabled={busy}>
            {t('takeCall')}
          </button>
        </div>
      </form>
      {call ? (
        <div data-testid="call-result" data-call-id={call.id}>
          {call.incidentId ? <p className="message ok">{t('callLinked')}</p> : null}
          {!call.incidentId && call.possibleDuplicate ? (
            <div className="duplicates" role="alert">
              <p>{t('possibleDuplicate')}</p>
              <ul>
                {call.duplicateCandidates.map((candidate) => (
                  <li key={candidate.incidentId} data-testid="duplicate-candidate">
                    {candidate.type} · {Math.round(candidate.distanceM)} m ·{' '}
                    {new Date(candidate.createdAt).toLocaleTimeString()}{' '}
                    <button
                      type="button"
                      data-testid="link-call"
                      disabled={busy}
                      onClick={() => void link(candidate.incidentId)}
                    >
                      {t('linkToIncident')}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {!call.incidentId ? (
            <button
              type="button"
              className="secondary"
              data-testid="incident-from-call"
              disabled={busy}
              onClick={() => void createIncident()}
            >
              {t('newIncidentFromCall')}
            </button>
          ) : null}
        </div>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
