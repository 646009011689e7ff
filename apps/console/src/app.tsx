import type L from 'leaflet';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ConsoleConfig } from './config';
import { AllCallPanel } from './all-call-panel';
import { CallIntakePanel } from './call-intake-panel';
import { CreateIncidentPanel } from './create-incident-panel';
import {
  I18nContext,
  initialLanguage,
  storeLanguage,
  translator,
  useI18n,
  type Language,
  type Translate,
} from './i18n';
import { IncidentDetailPanel } from './incident-detail-panel';
import { LoginView } from './login-view';
import { MapView } from './map-view';
import { QueuePanel, matchesFilter, type PriorityFilter, type StatusFilter } from './queue-panel';
import { Session, type SessionUser } from './session';
import { ConsoleStore, queueOrder } from './store';
import { UnitsPanel } from './units-panel';

type View =
  | { kind: 'queue' }
  | { kind: 'create' }
  | { kind: 'units' }
  | { kind: 'all-call' }
  | { kind: 'incident'; id: string };

export function App({ config }: { config: ConsoleConfig }) {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const t = useMemo(() => translator(language), [language]);
  const [user, setUser] = useState<SessionUser>();
  const [notice, setNotice] = useState<string>();
  const [resuming, setResuming] = useState(true);
  const tRef = useRef<Translate>(t);
  tRef.current = t;

  const session = useMemo(
    () =>
      new Session(config, (reason) => {
        setUser(undefined);
        setNotice(tRef.current(reason === 'expired' ? 'sessionExpired' : 'loggedOut'));
      }),
    [config],
  );

  useEffect(() => {
    storeLanguage(language);
  }, [language]);

  useEffect(() => {
    session
      .resume()
      .then((resumed) => setUser(resumed))
      .catch(() => undefined)
      .finally(() => setResuming(false));
  }, [session]);

  const toggleLanguage = useCallback(() => setLanguage((l) => (l === 'es' ? 'en' : 'es')), []);
  const languageSwitch = (
    <button
      type="button"
      className="secondary language"
      data-testid="language"
      aria-keyshortcuts="L"
      onClick={toggleLanguage}
      title={t('language')}
    >
      {language === 'es' ? 'English' : 'Español'}
    </button>
  );

  return (
    <I18nContext.Provider value={{ t, language }}>
      {resuming ? null : user ? (
        <ConsoleView
          key={user.id}
          config={config}
          session={session}
          user={user}
          languageSwitch={languageSwitch}
          onToggleLanguage={toggleLanguage}
        />
      ) : (
        <LoginView
          session={session}
          notice={notice}
          languageSwitch={languageSwitch}
          onLoggedIn={(loggedIn) => {
            setNotice(undefined);
            setUser(loggedIn);
          }}
        />
      )}
    </I18nContext.Provider>
  );
}

interface ConsoleViewProps {
  config: ConsoleConfig;
  session: Session;
  user: SessionUser;
  languageSwitch: React.ReactNode;
  onToggleLanguage: () => void;
}

function ConsoleView({
  config,
  session,
  user,
  languageSwitch,
  onToggleLanguage,
}: ConsoleViewProps) {
  const store = useMemo(() => new ConsoleStore(session.api, config), [session, config]);
  useSyncExternalStore(store.subscribe, store.getVersion);
  const [loadError, setLoadError] = useState<string>();
  const [view, setView] = useState<View>({ kind: 'queue' });
  const [statusFilter, setStatusFilter] = useState<StatusFilter>('open');
  const [priorityFilter, setPriorityFilter] = useState<PriorityFilter>('all');
  const [picked, setPicked] = useState<[number, number]>();
  const mapRef = useRef<L.Map | undefined>(undefined);

  useEffect(() => {
    store
      .start()
      .catch((error: unknown) =>
        setLoadError(error instanceof Error ? error.message : String(error)),
      );
    return () => store.stop();
  }, [store]);

  const incidents = [...store.incidents.values()]
    .filter((incident) => matchesFilter(incident, statusFilter, priorityFilter))
    .sort(queueOrder);
  const escalatedIncidents = new Set(store.escalations.map((e) => e.incidentId));
  const selectedId = view.kind === 'incident' ? view.id : undefined;
  const selected = selectedId ? store.incidents.get(selectedId) : undefined;

  const select = useCallback((id: string) => setView({ kind: 'incident', id }), []);
  const unitsOf = (incidentId: string) =>
    store.assignmentsOf(incidentId).map((a) => a.callSign ?? store.unitLabel(a.unitId));

  useKeyboard((key) => {
    switch (key) {
      case 'n':
        setView({ kind: 'create' });
        return true;
      case 'i':
        setView({ kind: 'queue' });
        focusSoon('[data-testid="incident-row"], [data-testid="filter-status"]');
        return true;
      case 'u':
        setView({ kind: 'units' });
        return true;
      case 'a':
        setView({ kind: 'all-call' });
        return true;
      case 'm':
        mapRef.current?.getContainer().focus();
        return true;
      case 'l':
        onToggleLanguage();
        return true;
      case 'Escape':
        setView({ kind: 'queue' });
        setPicked(undefined);
        return true;
      default:
        return false;
    }
  });

  return (
    <ConsoleLayout
      user={user}
      session={session}
      store={store}
      languageSwitch={languageSwitch}
      loadError={loadError}
      onOpenIncident={select}
      view={view}
      onView={setView}
      main={
        <MapView
          store={store}
          config={config}
          incidents={incidents}
          selectedId={selectedId}
          onSelectIncident={select}
          onPick={view.kind === 'create' ? (lat, lon) => setPicked([lat, lon]) : undefined}
          picked={view.kind === 'create' ? picked : undefined}
          mapRef={mapRef}
        />
      }
      side={
        view.kind === 'create' ? (
          <>
            <CallIntakePanel
              session={session}
              point={picked}
              onCreated={(incident) => {
                store.putIncident(incident);
                setPicked(undefined);
                setView({ kind: 'incident', id: incident.id });
              }}
            />
            <CreateIncidentPanel
              session={session}
              point={picked}
              onPoint={setPicked}
              mapCentre={() => {
                const centre = mapRef.current?.getCenter();
                return centre ? [centre.lat, centre.lng] : undefined;
              }}
              onCreated={(incident) => {
                store.putIncident(incident);
                setPicked(undefined);
                setView({ kind: 'incident', id: incident.id });
              }}
              onCancel={() => {
                setPicked(undefined);
                setView({ kind: 'queue' });
              }}
            />
          </>
        ) : view.kind === 'units' ? (
          <UnitsPanel session={session} store={store} />
        ) : view.kind === 'all-call' ? (
          <AllCallPanel session={session} store={store} revision={store.allCallRevision} />
        ) : view.kind === 'incident' && selected ? (
          <IncidentDetailPanel
            session={session}
            store={store}
            incident={selected}
            revision={store.incidentRevisions.get(selected.id) ?? 0}
            escalations={store.escalations.filter((e) => e.incidentId === selected.id)}
            onClose={() => setView({ kind: 'queue' })}
          />
        ) : (
          <QueuePanel
            incidents={incidents}
            escalatedIncidents={escalatedIncidents}
            selectedId={selectedId}
            status={statusFilter}
            priority={priorityFilter}
            onStatus={setStatusFilter}
            onPriority={setPriorityFilter}
            onSelect={select}
            unitsOf={unitsOf}
          />
        )
      }
    />
  );
}

interface ConsoleLayoutProps {
  user: SessionUser;
  session: Session;
  store: ConsoleStore;
  languageSwitch: React.ReactNode;
  loadError: string | undefined;
  view: View;
  onView: (view: View) => void;
  onOpenIncident: (id: string) => void;
  main: React.ReactNode;
  side: React.ReactNode;
}

function ConsoleLayout(props: ConsoleLayoutProps) {
  const { t } = useI18n();
  const { store, view } = props;
  const connection = store.connection.status;
  const tab = (kind: 'queue' | 'create' | 'units' | 'all-call', label: string, key: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={view.kind === kind || (kind === 'queue' && view.kind === 'incident')}
      aria-keyshortcuts={key}
      data-testid={`tab-${kind}`}
      onClick={() => props.onView({ kind })}
    >
      {label}
    </button>
  );
  return (
    <div className="console" data-testid="console">
      <header className="top">
        <h1>{t('appTitle')}</h1>
        <span className="agency" data-testid="agency">
          {props.user.agencyId}
        </span>
        <span
          className={`connection connection-${connection}`}
          role="status"
          data-testid="connection"
          data-status={connection}
        >
          {t(`connection_${connection}`)}
        </span>
        <span className="spacer" />
        <span className="user" data-testid="user">
          {props.user.displayName ?? props.user.username}
        </span>
        {props.languageSwitch}
        <button
          type="button"
          className="secondary"
          data-testid="logout"
          onClick={() => void props.session.logout()}
        >
          {t('logOut')}
        </button>
      </header>
      {store.escalations.length > 0 ? (
        <div className="escalations" role="alert" data-testid="escalations">
          {store.escalations.slice(0, 3).map((escalation) => {
            const incident = store.incidents.get(escalation.incidentId);
            return (
              <div
                key={escalation.assignmentId}
                className="escalation"
                data-testid="escalation"
                data-incident-id={escalation.incidentId}
              >
                <strong>{t('escalation')}:</strong>{' '}
                {t('escalationText', {
                  unit: store.unitLabel(escalation.unitId),
                  incident: incident
                    ? `${incident.priority} ${incident.type}`
                    : escalation.incidentId.slice(0, 8),
                  seconds: Math.round(escalation.waitedMs / 1000),
                  stage: escalation.lastStage ? t(`stage_${escalation.lastStage}`) : t('noAck'),
                })}{' '}
                <button type="button" onClick={() => props.onOpenIncident(escalation.incidentId)}>
                  {t('open')}
                </button>{' '}
                <button
                  type="button"
                  className="secondary"
                  onClick={() => store.dismissEscalation(escalation.assignmentId)}
                >
                  {t('dismiss')}
                </button>
              </div>
            );
          })}
        </div>
      ) : null}
      {props.loadError ? (
        <p className="error" role="alert">
          {t('error')}: {props.loadError}
        </p>
      ) : null}
      <div className="body">
        <main className="main">{props.main}</main>
        <aside className="side">
          <nav role="tablist" className="tabs">
            {tab('queue', t('queue'), 'I')}
            {tab('create', t('newIncident'), 'N')}
            {tab('units', t('units'), 'U')}
            {tab('all-call', t('allCall'), 'A')}
          </nav>
          {props.side}
        </aside>
      </div>
      <footer className="shortcuts">{t('shortcuts')}</footer>
    </div>
  );
}

/** Single-key shortcuts, except while typing in a field (Escape always works). */
function useKeyboard(handler: (key: string) => boolean) {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      const typing =
        target !== null &&
        (target.tagName === 'INPUT' ||
          target.tagName === 'TEXTAREA' ||
          target.tagName === 'SELECT' ||
          target.isContentEditable);
      if (typing && event.key !== 'Escape') return;
      if (ref.current(event.key.length === 1 ? event.key.toLowerCase() : event.key)) {
        event.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function focusSoon(selector: string) {
  setTimeout(() => (document.querySelector(selector) as HTMLElement | null)?.focus(), 0);
}
