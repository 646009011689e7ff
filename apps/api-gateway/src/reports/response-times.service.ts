import { Injectable } from '@nestjs/common';
import type {
  AccessClaims,
  IncidentResponseTimes,
  ResponseExportQuery,
  ResponseFigures,
  ResponseFiguresQuery,
} from '@gad/contracts';
import { AgencySettingsReader } from '../agencies/agency-settings.reader';
import { IncidentsService } from '../incidents/incidents.service';
import {
  RESPONSE_EXPORT_HEADER,
  toCsvLine,
  toIncidentResponseTimes,
  toResponseFigureGroup,
} from './response-times.mapper';
import { ResponseTimesRepository, type ResponseFilters } from './response-times.repository';

/**
 * Response-time figures: an incident's milestones and intervals, the figures of a range grouped by
 * priority, type, zone and period (median, p90, share within the agency's target) and the CSV
 * export, all from the summary the dispatch unit of work keeps from the timeline.
 */
@Injectable()
export class ResponseTimesService {
  constructor(
    private readonly repository: ResponseTimesRepository,
    private readonly incidents: IncidentsService,
    private readonly agencySettings: AgencySettingsReader,
  ) {}

  async ofIncident(user: AccessClaims, incidentId: string): Promise<IncidentResponseTimes> {
    const incident = await this.incidents.get(user, incidentId);
    const [row, settings] = await Promise.all([
      this.repository.find(user.agencyId, incident.id),
      this.agencySettings.settings(user.agencyId),
    ]);
    const summary = row ?? {
      incident_id: incident.id,
      priority: incident.priority,
      type: incident.type,
      zone: incident.zone?.name ?? '',
      zone_id: incident.zone?.id ?? null,
      ...(incident.zone ? { zone_source: incident.zone.source } : {}),
      created_at: new Date(incident.createdAt),
      call_received_at: null,
      first_dispatch_at: null,
      first_en_route_at: null,
      first_on_scene_at: null,
      cleared_at: null,
    };
    return toIncidentResponseTimes(summary, settings.responseTargetsS);
  }

  async figures(user: AccessClaims, query: ResponseFiguresQuery): Promise<ResponseFigures> {
    const settings = await this.agencySettings.settings(user.agencyId);
    const groupBy = [...new Set(query.groupBy ?? [])];
    const rows = await this.repository.figures(this.filtersOf(user, query, settings), {
      priority: groupBy.includes('priority'),
      type: groupBy.includes('type'),
      zone: groupBy.includes('zone'),
      period: groupBy.includes('period'),
      periodSize: query.period,
      timeZone: settings.timeZone,
    });
    return {
      from: new Date(query.from).toISOString(),
      to: new Date(query.to).toISOString(),
      groupBy,
      targetsS: settings.responseTargetsS,
      groups: rows.filter((row) => row.count > 0).map(toResponseFigureGroup),
    };
  }

  /** The CSV export, a header line then one line per incident, produced as it is read. */
  async *exportCsv(user: AccessClaims, query: ResponseExportQuery): AsyncGenerator<string> {
    const settings = await this.agencySettings.settings(user.agencyId);
    yield RESPONSE_EXPORT_HEADER;
    for await (const batch of this.repository.exportRows(this.filtersOf(user, query, settings))) {
      yield batch.map(toCsvLine).join('');
    }
  }

  private filtersOf(
    user: AccessClaims,
    query: ResponseExportQuery,
    settings: { responseTargetsS: ResponseFilters['targets'] },
  ): ResponseFilters {
    return {
      agencyId: user.agencyId,
      from: query.from,
      to: query.to,
      ...(query.priority ? { priorities: query.priority } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.zone ? { zone: query.zone } : {}),
      targets: settings.responseTargetsS,
    };
  }
}
