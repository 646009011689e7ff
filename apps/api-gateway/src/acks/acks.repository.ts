import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { CommandAckStage } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'acks.repository.sql'));
const HAS_STAGE = sqlOf(SQL, 'has_stage');
const INSERT_ACK = sqlOf(SQL, 'insert_ack');

export interface NewAck {
  eventId: string;
  agencyId: string;
  commandId: string;
  stage: CommandAckStage;
  reason?: string;
  userId: string;
  /** The unit of the sending device's token, when it has one. */
  unitId?: string;
  receivedAt: string;
}

/**
 * The only place with SQL for received acks. Every statement runs in the caller's dispatch
 * transaction (`client`).
 */
@Injectable()
export class AcksRepository {
  constructor(private readonly database: Database) {}

  /** Whether this user's ack of this stage of the command is stored already (a device re-send). */
  async hasStage(
    client: SqlClient,
    agencyId: string,
    commandId: string,
    userId: string,
    stage: CommandAckStage,
  ): Promise<boolean> {
    const rows = await this.database.rows(
      { text: HAS_STAGE, values: [agencyId, commandId, userId, stage] },
      client,
    );
    return rows.length > 0;
  }

  /** Stores an ack by its envelope id; false when that envelope was seen before (a redelivery). */
  async insertAck(client: SqlClient, ack: NewAck): Promise<boolean> {
    const { rowCount } = await this.database.result(
      {
        text: INSERT_ACK,
        values: [
          ack.eventId,
          ack.agencyId,
          ack.commandId,
          ack.stage,
          ack.reason ?? null,
          ack.userId,
          ack.unitId ?? null,
          ack.receivedAt,
        ],
      },
      client,
    );
    return (rowCount ?? 0) > 0;
  }
}
