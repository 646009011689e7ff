import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'deliveries.repository.sql'));
const INSERT_DELIVERY = sqlOf(SQL, 'insert_delivery');
const DELIVERIES_OF_COMMANDS = sqlOf(SQL, 'deliveries_of_commands');

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

/** Delivery attempts of commands and notices on every channel (`notify.deliveries`). */
@Injectable()
export class DeliveriesRepository {
  constructor(private readonly database: Database) {}

  /** On `client` (a transaction's) when given, otherwise on its own. */
  async insertDelivery(client: SqlClient | undefined, d: DeliveryRecord): Promise<void> {
    await this.database.result(
      {
        text: INSERT_DELIVERY,
        values: [
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
      },
      client,
    );
  }

  async deliveriesOfCommands(
    agencyId: string,
    commandIds: readonly string[],
  ): Promise<DeliveryRecord[]> {
    if (commandIds.length === 0) {
      return [];
    }
    const rows = await this.database.rows<{
      agency_id: string;
      command_id: string | null;
      channel: string;
      target: string;
      attempt: number;
      outcome: DeliveryRecord['outcome'];
      detail: string | null;
      at: Date;
    }>({ text: DELIVERIES_OF_COMMANDS, values: [agencyId, commandIds] });
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
}
