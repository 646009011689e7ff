import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { Actor, TimelineEntryKind } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlQuery } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'timeline.repository.sql'));
/**
 * How every dispatch transaction opens (`DispatchTransactions`): generic plans for its prepared
 * statements, set in the BEGIN's own round trip. The append needs it (see {@link
 * TimelineRepository.append}); the other statements of a dispatch write look rows up by key, where
 * the generic plan is the custom one.
 */
export const DISPATCH_BEGIN = 'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan';
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

  /**
   * The statement appending `entries` in order and recomputing the response-time summary of their
   * incidents (docs/adr/0027), for the caller's transaction to run at its commit (`atCommit` of
   * the unit of work); undefined for no entries. Prepared once per connection: every dispatch
   * write runs it, and its text never changes. Run with a generic plan:
   * left to choose, PostgreSQL planned it again on every execution (a custom plan for the arrays'
   * values, about 0.3 ms of backend time per append, more than executing it); the generic plan
   * reads the same indexes (one incident's rows). The caller's transaction opens with {@link
   * DISPATCH_BEGIN}, which asks for it without a round trip of its own.
   */
  appendStatement(entries: readonly NewTimelineEntry[]): SqlQuery | undefined {
    if (entries.length === 0) {
      return undefined;
    }
    return {
      name: 'dispatch_timeline_append_v1',
      text: APPEND,
      values: [
        entries.map((entry) => entry.agencyId),
        entries.map((entry) => entry.incidentId),
        entries.map((entry) => entry.kind),
        entries.map((entry) => entry.actor.kind),
        entries.map((entry) => entry.actor.id),
        entries.map((entry) => entry.message),
        entries.map((entry) => entry.reason ?? null),
        entries.map((entry) => JSON.stringify(entry.detail ?? {})),
      ],
    };
  }

  async list(agencyId: string, incidentId: string): Promise<TimelineRow[]> {
    return this.database.rows<TimelineRow>({ text: LIST, values: [agencyId, incidentId] });
  }
}
