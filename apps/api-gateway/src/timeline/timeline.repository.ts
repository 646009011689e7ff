import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { Actor, TimelineEntryKind } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'timeline.repository.sql'));
const APPEND = sqlOf(SQL, 'append');
const LIST = sqlOf(SQL, 'list');

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
  constructor(private readonly database: Database) {}

  /** Appends entries in the caller's transaction, in order. */
  async append(client: SqlClient, entries: readonly NewTimelineEntry[]): Promise<void> {
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
    await this.database.result(
      { text: APPEND.replace('{rows}', values.join(', ')), values: params },
      client,
    );
  }

  async list(agencyId: string, incidentId: string): Promise<TimelineRow[]> {
    return this.database.rows<TimelineRow>({ text: LIST, values: [agencyId, incidentId] });
  }
}
