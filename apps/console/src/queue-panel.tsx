import type { IncidentPriority, IncidentStatus } from '@gad/contracts';
import { useI18n } from './i18n';
import { PRIORITIES } from './priority-select';
import { OPEN_STATUSES, type IncidentView } from './store';

export type StatusFilter = 'open' | 'all' | IncidentStatus;
export type PriorityFilter = 'all' | IncidentPriority;

const STATUSES: IncidentStatus[] = [
  'new',
  'dispatched',
  'in_progress',
  'resolved',
  'closed',
  'cancelled',
];

export function matchesFilter(
  incident: IncidentView,
  status: StatusFilter,
  priority: PriorityFilter,
): boolean {
  const statusOk =
    status === 'all' ||
    (status === 'open' ? OPEN_STATUSES.includes(incident.status) : incident.status === status);
  return statusOk && (priority === 'all' || incident.priority === priority);
}

interface QueuePanelProps {
  incidents: IncidentView[];
  escalatedIncidents: Set<string>;
  selectedId: string | undefined;
  status: StatusFilter;
  priority: PriorityFilter;
  onStatus: (status: StatusFilter) => void;
  onPriority: (priority: PriorityFilter) => void;
  onSelect: (id: string) => void;
  unitsOf: (incidentId: string) => string[];
}

/** The incident queue, highest priority and newest first, live; filters by status and priority. */
export function QueuePanel(props: QueuePanelProps) {
  const { t } = useI18n();
  const { incidents, selectedId, onSelect } = props;
  return (
    <section className="queue" aria-labelledby="queue-title">
      <h2 id="queue-title">
        {t('queue')} <span className="count">({incidents.length})</span>
      </h2>
      <div className="filters">
        <label>
          {t('filterStatus')}
          <select
            data-testid="filter-status"
            value={props.status}
            onChange={(e) => props.onStatus(e.target.value as StatusFilter)}
          >
            <option value="open">{t('allOpen')}</option>
            <option value="all">{t('all')}</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {t(`incident_${status}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('filterPriority')}
          <select
            data-testid="filter-priority"
            value={props.priority}
            onChange={(e) => props.onPriority(e.target.value as PriorityFilter)}
          >
            <option value="all">{t('all')}</option>
            {PRIORITIES.map((priority) => (
              <option key={priority} value={priority}>
                {priority}
              </option>
            ))}
          </select>
        </label>
      </div>
      {incidents.length === 0 ? <p className="empty">{t('noIncidents')}</p> : null}
      <ol className="incident-list" data-testid="incident-queue">
        {incidents.map((incident) => {
          const units = props.unitsOf(incident.id);
          return (
            <li key={incident.id}>
              <button
                type="button"
                className={`incident-row${incident.id === selectedId ? ' selected' : ''}${
                  props.escalatedIncidents.has(incident.id) ? ' escalated' : ''
                }`}
                data-testid="incident-row"
                data-incident-id={incident.id}
                data-priority={incident.priority}
                data-status={incident.status}
                aria-current={incident.id === selectedId ? 'true' : undefined}
                onClick={() => onSelect(incident.id)}
              >
                <span className={`badge priority-${incident.priority}`}>{incident.priority}</span>
                <span className="incident-type">{incident.type}</span>
                <span className={`status status-${incident.status}`}>
                  {t(`incident_${incident.status}`)}
                </span>
                <span className="incident-meta">
                  {new Date(incident.createdAt).toLocaleTimeString()}
                  {incident.address ? ` · ${incident.address}` : ''}
                  {units.length > 0 ? ` · ${units.join(', ')}` : ''}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
