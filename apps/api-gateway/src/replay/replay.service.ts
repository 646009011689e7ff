import { Injectable } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  operations,
  type AccessClaims,
  type IncidentReplayFrame,
  type IncidentReplayFramesQuery,
  type TrackPoint,
} from '@gad/contracts';
import { describeChange } from '@gad/audit';
import { AssignmentsRepository } from '../assignments/assignments.repository';
import { IncidentsService } from '../incidents/incidents.service';
import { ServiceRpcClient } from '../rpc/service-rpc.client';
import { TimelineRepository } from '../timeline/timeline.repository';
import { REPLAY_POSITION_LOOKBACK_MS, replayFrame, type ReplaySource } from './incident-replay';

/** Frames of a range are built an hour of position history at a time. */
export const REPLAY_WINDOW_MS = 60 * 60_000;
/** Fixes asked of geo-service per unit and window. */
const TRACK_LIMIT = 10_000;

/**
 * The incident flight recorder: the incident, its assignments and its units' statuses and
 * positions as they were at a moment, rebuilt from the timeline and geo-service's position
 * history (docs/adr/0027). Each read is audited with what was asked (a sensitive read).
 */
@Injectable()
export class ReplayService {
  constructor(
    private readonly incidents: IncidentsService,
    private readonly timeline: TimelineRepository,
    private readonly assignments: AssignmentsRepository,
    private readonly rpc: ServiceRpcClient,
  ) {}

  async at(user: AccessClaims, incidentId: string, at: string): Promise<IncidentReplayFrame> {
    const source = await this.sourceOf(user, incidentId);
    const moment = new Date(at);
    const tracks = await this.tracksOf(
      user,
      source,
      moment.getTime() - REPLAY_POSITION_LOOKBACK_MS,
      moment.getTime(),
    );
    describeChange({ after: { replayAt: moment.toISOString(), units: tracks.size } }, incidentId);
    return replayFrame(source, moment, tracks);
  }

  /**
   * Checks the incident first (404 before anything is streamed), then yields one frame every
   * `stepS` of `[from, to]`, fetching the units' fixes a window at a time.
   */
  async frames(
    user: AccessClaims,
    incidentId: string,
    query: IncidentReplayFramesQuery,
  ): Promise<AsyncGenerator<IncidentReplayFrame>> {
    const source = await this.sourceOf(user, incidentId);
    const from = Date.parse(query.from);
    const to = Date.parse(query.to);
    const stepMs = query.stepS * 1000;
    describeChange(
      {
        after: {
          replayFrom: new Date(from).toISOString(),
          replayTo: new Date(to).toISOString(),
          stepS: query.stepS,
        },
      },
      incidentId,
    );
    const generate = async function* (this: ReplayService): AsyncGenerator<IncidentReplayFrame> {
      for (let windowStart = from; windowStart <= to; windowStart += REPLAY_WINDOW_MS) {
        const windowEnd = Math.min(to, windowStart + REPLAY_WINDOW_MS - 1);
        const tracks = await this.tracksOf(
          user,
          source,
          windowStart - REPLAY_POSITION_LOOKBACK_MS,
          windowEnd,
        );
        const first = from + Math.ceil((windowStart - from) / stepMs) * stepMs;
        for (let moment = first; moment <= windowEnd; moment += stepMs) {
          yield replayFrame(source, new Date(moment), tracks);
        }
      }
    };
    return generate.call(this);
  }

  private async sourceOf(user: AccessClaims, incidentId: string): Promise<ReplaySource> {
    const incident = await this.incidents.get(user, incidentId);
    const [timeline, assignments] = await Promise.all([
      this.timeline.list(user.agencyId, incidentId),
      this.assignments.listByIncident(user.agencyId, incidentId),
    ]);
    return {
      incident: {
        id: incident.id,
        type: incident.type,
        priority: incident.priority,
        status: incident.status,
        location: incident.location,
        address: incident.address,
        createdAt: incident.createdAt,
      },
      // In the order things happened (time, then append order), whatever order the list has.
      timeline: [...timeline]
        .sort(
          (a, b) =>
            new Date(a.at).getTime() - new Date(b.at).getTime() ||
            Number(BigInt(a.id) - BigInt(b.id)),
        )
        .map((row) => ({
          kind: row.kind,
          at: new Date(row.at).toISOString(),
          detail: row.detail,
        })),
      assignments: assignments.map((row) => ({
        id: row.id,
        unitId: row.unit_id,
        callSign: row.call_sign,
        status: row.status,
      })),
    };
  }

  /** Each involved unit's fixes in `[from, to]` from geo-service (device time, oldest first). */
  private async tracksOf(
    user: AccessClaims,
    source: ReplaySource,
    from: number,
    to: number,
  ): Promise<Map<string, TrackPoint[]>> {
    const unitIds = [
      ...new Set(
        source.timeline
          .filter((entry) => entry.kind === 'assignment.created')
          .map((entry) => String(entry.detail['unitId'] ?? '')),
      ),
    ].filter((unitId) => unitId.length > 0 && Date.parse(source.incident.createdAt) <= to);
    const tracks = await Promise.all(
      unitIds.map((unitId) =>
        this.rpc.call(
          GEO_RPC_SERVICE,
          user,
          GeoRpcPatterns.UnitTrack,
          {
            unitId,
            agencyId: user.agencyId,
            from: new Date(from).toISOString(),
            to: new Date(to + 1).toISOString(),
            limit: TRACK_LIMIT,
          },
          operations.unitTrack.success.schema,
        ),
      ),
    );
    return new Map(tracks.map((track, index) => [unitIds[index] as string, track.items]));
  }
}
