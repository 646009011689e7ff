import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@gad/bus';
import type { Actor, TimelineEntryKind } from '@gad/contracts';
import { DataSource } from 'typeorm';

export interface NewTimelineEntry {
  agencyId: string;
  incidentId: string;
  kind: TimelineEntryKind;
  actor: Actor;
  message: string;
  reason?: string | null;
  detail?: Record<string, unknown>;
}

export interface TimelineRow {
  id: string;
  incident_id: string;
  kind: TimelineEntryKind;
  at: Date;
  actor_kind: string;
  actor_id: string;
  message: string;
  reason: string | null;
  detail: Record<string, unknown>;
}

/** The only place with SQL for the append-only incident timeline. Scoped by agency. */
@Injectable()
export class TimelineRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends entries in the caller's transaction, in order. */
  async append(executor: SqlExecutor, entries: readonly NewTimelineEntry[]): Promise<void> {
    if (entries.length === 0) {
      return;
    }
    const params: unknown[] = [];
    const values = entries.map((entry) => {
      const base = params.length;
      params.push(
        entry.agencyId,
        entry.incidentId,
        entry.kind,
        entry.actor.kind,
        entry.actor.id,
        entry.message,
        entry.reason ?? null,
        JSON.stringify(entry.detail ?? {}),
      );
      const slot = (offset: number) => `$${base + offset}`;
      return `(${slot(1)}, ${slot(2)}::uuid, ${slot(3)}, ${slot(4)}, ${slot(5)}, ${slot(6)}, ${slot(7)}, ${slot(8)}::jsonb)`;
    });
    await executor.query(
      `INSERT INTO dispatch.incident_timeline
         (agency_id, incident_id, kind, actor_kind, actor_id, message, reason, detail)
       VALUES ${values.join(', ')}`,
      params,
    );
  }

  async list(agencyId: string, incidentId: string): Promise<TimelineRow[]> {
    return this.dataSource.query(
      `SELECT id::text AS id, incident_id, kind, at, actor_kind, actor_id, message, reason, detail
         FROM dispatch.incident_timeline
        WHERE agency_id = $1 AND incident_id = $2
        ORDER BY id`,
      [agencyId, incidentId],
    );
  }
}
