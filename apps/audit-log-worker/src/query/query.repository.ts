import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'query.repository.sql'));
const FIND_ENTRIES = sqlOf(SQL, 'find_entries');

export interface EntryFilter {
  agencyId: string;
  actorId?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  outcome?: string;
  from?: string;
  to?: string;
  /** Only entries with a lower sequence (the cursor). */
  beforeSeq?: number;
  limit: number;
}

export interface EntryRow {
  seq: string;
  hash: string;
  prev_hash: string;
  recorded_at: Date;
  entry: unknown;
}

@Injectable()
export class QueryRepository {
  constructor(private readonly database: Database) {}

  /** Entries of one agency matching every given filter, newest (highest sequence) first. */
  async find(filter: EntryFilter): Promise<EntryRow[]> {
    const where = ['agency_id = $1'];
    const params: unknown[] = [filter.agencyId];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.actorId !== undefined) add('actor_id = ?', filter.actorId);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.objectType !== undefined) add('object_type = ?', filter.objectType);
    if (filter.objectId !== undefined) add('object_id = ?', filter.objectId);
    if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
    if (filter.from !== undefined) add('occurred_at >= ?::timestamptz', filter.from);
    if (filter.to !== undefined) add('occurred_at < ?::timestamptz', filter.to);
    if (filter.beforeSeq !== undefined) add('seq < ?', filter.beforeSeq);
    params.push(filter.limit);
    return this.database.rows<EntryRow>({
      text: FIND_ENTRIES.replace('{where}', where.join(' AND ')).replace(
        '{limit}',
        `$${params.length}`,
      ),
      values: params,
    });
  }
}
