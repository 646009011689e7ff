import { Injectable } from '@nestjs/common';
import type { CommandAckStage, IncidentPriority } from '@gad/contracts';
import { DataSource, type EntityManager } from 'typeorm';

export interface AssignmentRecord {
  agencyId: string;
  assignmentId: string;
  incidentId: string;
  unitId: string;
  priority: IncidentPriority;
  createdAt: Date;
  settledAt?: Date;
}

export interface CommandRecord {
  commandId: string;
  agencyId: string;
  assignmentId: string;
  incidentId: string;
  unitId: string;
  userId: string;
  priority: IncidentPriority;
  critical: boolean;
  locale: 'es' | 'en';
  title: string;
  body: string;
  payload: Record<string, unknown>;
  issuedAt: Date;
  deliveredAt?: Date;
  seenAt?: Date;
  acceptedAt?: Date;
  declinedAt?: Date;
  declineReason?: string;
}

export type NewCommand = Omit<
  CommandRecord,
  'deliveredAt' | 'seenAt' | 'acceptedAt' | 'declinedAt' | 'declineReason'
>;

export interface DeliveryRecord {
  agencyId: string;
  commandId?: string;
  noticeId?: string;
  channel: string;
  target: string;
  attempt: number;
  outcome: 'sent' | 'failed' | 'retrying' | 'suppressed';
  detail?: string;
  at: Date;
}

interface CommandRow {
  command_id: string;
  agency_id: string;
  assignment_id: string;
  incident_id: string;
  unit_id: string;
  user_id: string;
  priority: IncidentPriority;
  critical: boolean;
  locale: 'es' | 'en';
  title: string;
  body: string;
  payload: Record<string, unknown>;
  issued_at: Date;
  delivered_at: Date | null;
  seen_at: Date | null;
  accepted_at: Date | null;
  declined_at: Date | null;
  decline_reason: string | null;
}

function toCommand(row: CommandRow): CommandRecord {
  return {
    commandId: row.command_id,
    agencyId: row.agency_id,
    assignmentId: row.assignment_id,
    incidentId: row.incident_id,
    unitId: row.unit_id,
    userId: row.user_id,
    priority: row.priority,
    critical: row.critical,
    locale: row.locale,
    title: row.title,
    body: row.body,
    payload: row.payload,
    issuedAt: row.issued_at,
    ...(row.delivered_at ? { deliveredAt: row.delivered_at } : {}),
    ...(row.seen_at ? { seenAt: row.seen_at } : {}),
    ...(row.accepted_at ? { acceptedAt: row.accepted_at } : {}),
    ...(row.declined_at ? { declinedAt: row.declined_at } : {}),
    ...(row.decline_reason ? { declineReason: row.decline_reason } : {}),
  };
}

/** Columns a stage sets: a later stage implies the earlier ones (first report wins). */
const stageColumns: Record<CommandAckStage, string[]> = {
  delivered: ['delivered_at'],
  seen: ['delivered_at', 'seen_at'],
  accepted: ['delivered_at', 'seen_at', 'accepted_at'],
  declined: ['delivered_at', 'seen_at', 'declined_at'],
};

export type Executor = Pick<EntityManager, 'query'>;

/** Assignments, commands, escalation steps and delivery attempts (`notify.*`). */
@Injectable()
export class CommandsRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  async insertAssignment(executor: Executor, a: AssignmentRecord): Promise<boolean> {
    const rows: unknown[] = await executor.query(
      `INSERT INTO notify.assignments (agency_id, assignment_id, incident_id, unit_id, priority, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING assignment_id`,
      [a.agencyId, a.assignmentId, a.incidentId, a.unitId, a.priority, a.createdAt],
    );
    return rows.length > 0;
  }

  async findAssignment(
    agencyId: string,
    assignmentId: string,
  ): Promise<AssignmentRecord | undefined> {
    const rows: {
      agency_id: string;
      assignment_id: string;
      incident_id: string;
      unit_id: string;
      priority: IncidentPriority;
      created_at: Date;
      settled_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT * FROM notify.assignments WHERE agency_id = $1 AND assignment_id = $2`,
      [agencyId, assignmentId],
    );
    const row = rows[0];
    return row
      ? {
          agencyId: row.agency_id,
          assignmentId: row.assignment_id,
          incidentId: row.incident_id,
          unitId: row.unit_id,
          priority: row.priority,
          createdAt: row.created_at,
          ...(row.settled_at ? { settledAt: row.settled_at } : {}),
        }
      : undefined;
  }

  /** Marks the assignment settled (no more escalation); false when it already was. */
  async settleAssignment(
    agencyId: string,
    assignmentId: string,
    reason: string,
    at: Date,
  ): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE notify.assignments SET settled_at = $3, settled_reason = $4
        WHERE agency_id = $1 AND assignment_id = $2 AND settled_at IS NULL RETURNING assignment_id`,
      [agencyId, assignmentId, at, reason],
    );
    return rows.length > 0;
  }

  /** Assignments of an incident whose ladder may still run. */
  async unsettledAssignmentsOfIncident(agencyId: string, incidentId: string): Promise<string[]> {
    const rows: { assignment_id: string }[] = await this.dataSource.query(
      `SELECT assignment_id FROM notify.assignments
        WHERE agency_id = $1 AND incident_id = $2 AND settled_at IS NULL`,
      [agencyId, incidentId],
    );
    return rows.map((r) => r.assignment_id);
  }

  /** Inserts the command unless the user already has one for the assignment; true when inserted. */
  async insertCommand(executor: Executor, c: NewCommand): Promise<boolean> {
    const rows: unknown[] = await executor.query(
      `INSERT INTO notify.commands (command_id, agency_id, assignment_id, incident_id, unit_id, user_id,
          priority, critical, locale, title, body, payload, issued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (agency_id, assignment_id, user_id) DO NOTHING RETURNING command_id`,
      [
        c.commandId,
        c.agencyId,
        c.assignmentId,
        c.incidentId,
        c.unitId,
        c.userId,
        c.priority,
        c.critical,
        c.locale,
        c.title,
        c.body,
        JSON.stringify(c.payload),
        c.issuedAt,
      ],
    );
    return rows.length > 0;
  }

  async commandsOfAssignment(agencyId: string, assignmentId: string): Promise<CommandRecord[]> {
    const rows: CommandRow[] = await this.dataSource.query(
      `SELECT * FROM notify.commands WHERE agency_id = $1 AND assignment_id = $2 ORDER BY user_id`,
      [agencyId, assignmentId],
    );
    return rows.map(toCommand);
  }

  async commandsOfIncident(agencyId: string, incidentId: string): Promise<CommandRecord[]> {
    const rows: CommandRow[] = await this.dataSource.query(
      `SELECT * FROM notify.commands WHERE agency_id = $1 AND incident_id = $2
        ORDER BY issued_at, user_id LIMIT 1000`,
      [agencyId, incidentId],
    );
    return rows.map(toCommand);
  }

  /**
   * Records a stage reported by a device (the first report of each stage wins). Returns the
   * command after the update, and whether the stage was new.
   */
  async recordStage(
    agencyId: string,
    commandId: string,
    stage: CommandAckStage,
    at: Date,
    reason: string | undefined,
  ): Promise<{ command: CommandRecord; changed: boolean } | undefined> {
    const columns = stageColumns[stage];
    const own = columns[columns.length - 1] as string;
    const sets = columns.map((column) => `${column} = COALESCE(${column}, $3)`);
    // $4 is the decline reason (null for other stages).
    sets.push(`decline_reason = COALESCE(decline_reason, $4)`);
    const [rows]: [(CommandRow & { was_set: boolean })[], number] = await this.dataSource.query(
      `WITH before AS (
         SELECT command_id, ${own} IS NOT NULL AS was_set FROM notify.commands
          WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
       )
       UPDATE notify.commands c SET ${sets.join(', ')}
         FROM before WHERE c.command_id = before.command_id
       RETURNING c.*, before.was_set`,
      [agencyId, commandId, at, stage === 'declined' ? (reason ?? null) : null],
    );
    const row = rows[0];
    return row ? { command: toCommand(row), changed: !row.was_set } : undefined;
  }

  /** Records that a ladder step fired; false when it already had (a retried or duplicate job). */
  async insertEscalation(
    executor: Executor,
    agencyId: string,
    assignmentId: string,
    step: string,
    at: Date,
  ): Promise<boolean> {
    const rows: unknown[] = await executor.query(
      `INSERT INTO notify.escalations (agency_id, assignment_id, step, fired_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING step`,
      [agencyId, assignmentId, step, at],
    );
    return rows.length > 0;
  }

  async escalationsOfIncident(
    agencyId: string,
    incidentId: string,
  ): Promise<{ assignmentId: string; step: string; firedAt: Date }[]> {
    const rows: { assignment_id: string; step: string; fired_at: Date }[] =
      await this.dataSource.query(
        `SELECT e.assignment_id, e.step, e.fired_at FROM notify.escalations e
           JOIN notify.assignments a USING (agency_id, assignment_id)
          WHERE e.agency_id = $1 AND a.incident_id = $2 ORDER BY e.fired_at`,
        [agencyId, incidentId],
      );
    return rows.map((r) => ({ assignmentId: r.assignment_id, step: r.step, firedAt: r.fired_at }));
  }

  async insertDelivery(executor: Executor | undefined, d: DeliveryRecord): Promise<void> {
    await (executor ?? this.dataSource).query(
      `INSERT INTO notify.deliveries (agency_id, command_id, notice_id, channel, target, attempt, outcome, detail, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        d.agencyId,
        d.commandId ?? null,
        d.noticeId ?? null,
        d.channel,
        d.target,
        d.attempt,
        d.outcome,
        d.detail?.slice(0, 2000) ?? null,
        d.at,
      ],
    );
  }

  async deliveriesOfCommands(
    agencyId: string,
    commandIds: readonly string[],
  ): Promise<DeliveryRecord[]> {
    if (commandIds.length === 0) {
      return [];
    }
    const rows: {
      agency_id: string;
      command_id: string | null;
      channel: string;
      target: string;
      attempt: number;
      outcome: DeliveryRecord['outcome'];
      detail: string | null;
      at: Date;
    }[] = await this.dataSource.query(
      `SELECT agency_id, command_id, channel, target, attempt, outcome, detail, at FROM notify.deliveries
        WHERE agency_id = $1 AND command_id = ANY($2::uuid[]) ORDER BY id`,
      [agencyId, commandIds],
    );
    return rows.map((r) => ({
      agencyId: r.agency_id,
      ...(r.command_id ? { commandId: r.command_id } : {}),
      channel: r.channel,
      target: r.target,
      attempt: r.attempt,
      outcome: r.outcome,
      ...(r.detail ? { detail: r.detail } : {}),
      at: r.at,
    }));
  }

  async deliveriesOfNotice(agencyId: string, noticeId: string): Promise<DeliveryRecord[]> {
    const rows: {
      channel: string;
      target: string;
      attempt: number;
      outcome: DeliveryRecord['outcome'];
      detail: string | null;
      at: Date;
    }[] = await this.dataSource.query(
      `SELECT channel, target, attempt, outcome, detail, at FROM notify.deliveries
          WHERE agency_id = $1 AND notice_id = $2 ORDER BY id`,
      [agencyId, noticeId],
    );
    return rows.map((r) => ({
      agencyId,
      noticeId,
      channel: r.channel,
      target: r.target,
      attempt: r.attempt,
      outcome: r.outcome,
      ...(r.detail ? { detail: r.detail } : {}),
      at: r.at,
    }));
  }

  /** Inserts a notice for a user unless that event already produced one; the id when inserted. */
  async insertNotice(
    agencyId: string,
    noticeId: string,
    sourceEventId: string,
    userId: string,
    kind: string,
  ): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO notify.notices (notice_id, agency_id, source_event_id, user_id, kind)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agency_id, source_event_id, user_id) DO NOTHING
       RETURNING notice_id`,
      [noticeId, agencyId, sourceEventId, userId, kind],
    );
    return rows.length > 0;
  }

  async noticeIdOf(
    agencyId: string,
    sourceEventId: string,
    userId: string,
  ): Promise<string | undefined> {
    const rows: { notice_id: string }[] = await this.dataSource.query(
      `SELECT notice_id FROM notify.notices WHERE agency_id = $1 AND source_event_id = $2 AND user_id = $3`,
      [agencyId, sourceEventId, userId],
    );
    return rows[0]?.notice_id;
  }

  async activeWebhooks(agencyId: string): Promise<{ webhookId: string }[]> {
    const rows: { webhook_id: string }[] = await this.dataSource.query(
      `SELECT webhook_id FROM notify.webhooks WHERE agency_id = $1 AND active ORDER BY webhook_id`,
      [agencyId],
    );
    return rows.map((r) => ({ webhookId: r.webhook_id }));
  }

  async webhook(
    agencyId: string,
    webhookId: string,
  ): Promise<{ url: string; secret: string; active: boolean } | undefined> {
    const rows: { url: string; secret: string; active: boolean }[] = await this.dataSource.query(
      `SELECT url, secret, active FROM notify.webhooks WHERE agency_id = $1 AND webhook_id = $2`,
      [agencyId, webhookId],
    );
    return rows[0];
  }

  async upsertWebhook(w: {
    agencyId: string;
    webhookId: string;
    url: string;
    secret: string;
    active: boolean;
  }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO notify.webhooks (webhook_id, agency_id, url, secret, active) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (webhook_id) DO UPDATE SET url = $3, secret = $4, active = $5, updated_at = now()
        WHERE notify.webhooks.agency_id = $2`,
      [w.webhookId, w.agencyId, w.url, w.secret, w.active],
    );
  }
}
