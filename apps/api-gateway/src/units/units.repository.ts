import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@gad/bus';
import type { UnitStatus } from '@gad/contracts';
import { DataSource } from 'typeorm';

export interface UnitRow {
  id: string;
  agency_id: string;
  call_sign: string;
  type: string;
  capabilities: string[];
  crew: string[];
  status: UnitStatus;
  status_changed_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface NewUnit {
  id: string;
  agencyId: string;
  callSign: string;
  type: string;
  capabilities: readonly string[];
  crew: readonly string[];
}

export interface UnitChanges {
  callSign?: string;
  type?: string;
  capabilities?: readonly string[];
  crew?: readonly string[];
}

export interface UnitFilter {
  statuses?: readonly UnitStatus[];
  type?: string;
  afterId?: string;
  limit: number;
}

const COLUMNS = `id, agency_id, call_sign, type, capabilities, crew, status, status_changed_at,
  created_at, updated_at`;

/** PostgreSQL unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/** The only place with SQL for units. Every query is scoped by agency; retired units are gone. */
@Injectable()
export class UnitsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(executor: SqlExecutor, unit: NewUnit): Promise<UnitRow> {
    const rows = (await executor.query(
      `INSERT INTO dispatch.units (id, agency_id, call_sign, type, capabilities, crew)
       VALUES ($1, $2, $3, $4, $5::text[], $6::text[])
       RETURNING ${COLUMNS}`,
      [unit.id, unit.agencyId, unit.callSign, unit.type, unit.capabilities, unit.crew],
    )) as UnitRow[];
    return rows[0];
  }

  async findById(agencyId: string, id: string): Promise<UnitRow | undefined> {
    const rows: UnitRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM dispatch.units
        WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL`,
      [agencyId, id],
    );
    return rows[0];
  }

  /** The active unit a user crews, if any (the newest when several list them). */
  async findCrewedBy(agencyId: string, userId: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM dispatch.units
        WHERE agency_id = $1 AND $2 = ANY (crew) AND retired_at IS NULL
        ORDER BY created_at DESC LIMIT 1`,
      [agencyId, userId],
    );
    return rows[0]?.id;
  }

  /** Reads and row-locks a unit inside the caller's transaction. */
  async lock(executor: SqlExecutor, agencyId: string, id: string): Promise<UnitRow | undefined> {
    const rows = (await executor.query(
      `SELECT ${COLUMNS} FROM dispatch.units
        WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL
        FOR NO KEY UPDATE`,
      [agencyId, id],
    )) as UnitRow[];
    return rows[0];
  }

  async list(agencyId: string, filter: UnitFilter): Promise<UnitRow[]> {
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM dispatch.units
        WHERE agency_id = $1 AND retired_at IS NULL
          AND ($2::text[] IS NULL OR status = ANY($2::text[]))
          AND ($3::text IS NULL OR type = $3)
          AND ($4::text IS NULL OR id > $4)
        ORDER BY id
        LIMIT $5`,
      [
        agencyId,
        filter.statuses ?? null,
        filter.type ?? null,
        filter.afterId ?? null,
        filter.limit,
      ],
    );
  }

  async update(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
    changes: UnitChanges,
  ): Promise<UnitRow> {
    const rows = (await executor.query(
      `WITH changed AS (
        UPDATE dispatch.units SET
         call_sign = COALESCE($3, call_sign),
         type = COALESCE($4, type),
         capabilities = COALESCE($5::text[], capabilities),
         crew = COALESCE($6::text[], crew),
         updated_at = now()
       WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL
       RETURNING *
      )
      SELECT ${COLUMNS} FROM changed`,
      [
        agencyId,
        id,
        changes.callSign ?? null,
        changes.type ?? null,
        changes.capabilities ?? null,
        changes.crew ?? null,
      ],
    )) as UnitRow[];
    return rows[0];
  }

  async setStatus(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
    status: UnitStatus,
  ): Promise<UnitRow> {
    const rows = (await executor.query(
      `WITH changed AS (
        UPDATE dispatch.units SET status = $3, status_changed_at = now(), updated_at = now()
        WHERE agency_id = $1 AND id = $2
        RETURNING *
      )
      SELECT ${COLUMNS} FROM changed`,
      [agencyId, id, status],
    )) as UnitRow[];
    return rows[0];
  }

  /** The unit's open (not declined or cleared) assignment, if any. */
  async openAssignmentOf(
    executor: SqlExecutor,
    agencyId: string,
    id: string,
  ): Promise<string | undefined> {
    const rows = (await executor.query(
      `SELECT id FROM dispatch.assignments
        WHERE agency_id = $1 AND unit_id = $2 AND status NOT IN ('declined', 'cleared')`,
      [agencyId, id],
    )) as { id: string }[];
    return rows[0]?.id;
  }

  async retire(executor: SqlExecutor, agencyId: string, id: string): Promise<void> {
    await executor.query(
      `UPDATE dispatch.units SET retired_at = now(), updated_at = now()
        WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL`,
      [agencyId, id],
    );
  }
}
