import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'notices.repository.sql'));
const INSERT_NOTICE = sqlOf(SQL, 'insert_notice');
const NOTICE_ID_OF = sqlOf(SQL, 'notice_id_of');

/** Notices to users (`notify.notices`), one per source event and user. */
@Injectable()
export class NoticesRepository {
  constructor(private readonly database: Database) {}

  /** Inserts a notice for a user unless that event already produced one; true when inserted. */
  async insertNotice(
    agencyId: string,
    noticeId: string,
    sourceEventId: string,
    userId: string,
    kind: string,
    client?: SqlClient,
  ): Promise<boolean> {
    const rows = await this.database.rows(
      { text: INSERT_NOTICE, values: [noticeId, agencyId, sourceEventId, userId, kind] },
      client,
    );
    return rows.length > 0;
  }

  async noticeIdOf(
    agencyId: string,
    sourceEventId: string,
    userId: string,
    client?: SqlClient,
  ): Promise<string | undefined> {
    const [row] = await this.database.rows<{ notice_id: string }>(
      { text: NOTICE_ID_OF, values: [agencyId, sourceEventId, userId] },
      client,
    );
    return row?.notice_id;
  }
}
