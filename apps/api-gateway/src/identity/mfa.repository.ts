import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'mfa.repository.sql'));
const FIND = sqlOf(SQL, 'find');
const START = sqlOf(SQL, 'start');
const LOCK = sqlOf(SQL, 'lock');
const ACCEPT_STEP = sqlOf(SQL, 'accept_step');
const DELETE = sqlOf(SQL, 'delete');
const DELETE_RECOVERY_CODES = sqlOf(SQL, 'delete_recovery_codes');
const INSERT_RECOVERY_CODES = sqlOf(SQL, 'insert_recovery_codes');
const USE_RECOVERY_CODE = sqlOf(SQL, 'use_recovery_code');
const RECOVERY_CODES_LEFT = sqlOf(SQL, 'recovery_codes_left');
const FIND_UNSEALED = sqlOf(SQL, 'find_unsealed');
const REPLACE_SECRET = sqlOf(SQL, 'replace_secret');

export interface MfaRow {
  user_id: string;
  agency_id: string;
  /** The TOTP secret as stored: sealed (`TotpSecrets`), or base32 from before sealing. */
  totp_secret: string;
  confirmed_at: Date | null;
  /** Last TOTP time step accepted (bigint as text). */
  last_step: string;
}

/** The only place with SQL for TOTP secrets and recovery codes. Scoped by agency. */
@Injectable()
export class MfaRepository {
  constructor(private readonly database: Database) {}

  async find(agencyId: string, userId: string): Promise<MfaRow | undefined> {
    const rows = await this.database.rows<MfaRow>({ text: FIND, values: [agencyId, userId] });
    return rows[0];
  }

  /** Stores a new unconfirmed secret; false when the user already has a confirmed one. */
  async start(agencyId: string, userId: string, secret: string, now: Date): Promise<boolean> {
    const rows = await this.database.rows({ text: START, values: [agencyId, userId, secret, now] });
    return rows.length > 0;
  }

  async lock(client: SqlClient, agencyId: string, userId: string): Promise<MfaRow | undefined> {
    const rows = await this.database.rows<MfaRow>(
      { text: LOCK, values: [agencyId, userId] },
      client,
    );
    return rows[0];
  }

  /** Records the time step of an accepted code (and confirms an unconfirmed secret). */
  async acceptStep(
    client: SqlClient,
    agencyId: string,
    userId: string,
    step: number,
    now: Date,
  ): Promise<void> {
    await this.database.result(
      { text: ACCEPT_STEP, values: [agencyId, userId, step, now] },
      client,
    );
  }

  /** Removes the secret and the recovery codes; returns whether a secret existed. */
  async delete(client: SqlClient, agencyId: string, userId: string): Promise<boolean> {
    await this.database.result({ text: DELETE_RECOVERY_CODES, values: [agencyId, userId] }, client);
    const rows = await this.database.rows({ text: DELETE, values: [agencyId, userId] }, client);
    return rows.length > 0;
  }

  /** Replaces the user's recovery codes with these digests. */
  async replaceRecoveryCodes(
    client: SqlClient,
    agencyId: string,
    userId: string,
    digests: Buffer[],
  ): Promise<void> {
    await this.database.result({ text: DELETE_RECOVERY_CODES, values: [agencyId, userId] }, client);
    await this.database.result(
      { text: INSERT_RECOVERY_CODES, values: [agencyId, userId, digests] },
      client,
    );
  }

  /** Uses a recovery code (by digest) once; false when unknown or used. */
  async useRecoveryCode(
    agencyId: string,
    userId: string,
    digest: Buffer,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.database.rows({
      text: USE_RECOVERY_CODE,
      values: [agencyId, userId, digest, now],
    });
    return rows.length > 0;
  }

  /**
   * Up to `limit` stored secrets that do not start with `sealedPrefix` (the current key's), of
   * users after `afterUserId` in user id order.
   */
  async findUnsealed(
    sealedPrefix: string,
    limit: number,
    afterUserId = '',
  ): Promise<Pick<MfaRow, 'user_id' | 'agency_id' | 'totp_secret'>[]> {
    return this.database.rows({
      text: FIND_UNSEALED,
      values: [sealedPrefix, limit, afterUserId],
    });
  }

  /** Replaces a stored secret while it is still `stored`; false when it changed meanwhile. */
  async replaceSecret(
    agencyId: string,
    userId: string,
    stored: string,
    replacement: string,
  ): Promise<boolean> {
    const result = await this.database.result({
      text: REPLACE_SECRET,
      values: [agencyId, userId, stored, replacement],
    });
    return (result.rowCount ?? 0) > 0;
  }

  async recoveryCodesLeft(agencyId: string, userId: string): Promise<number> {
    const rows = await this.database.rows<{ n: number }>({
      text: RECOVERY_CODES_LEFT,
      values: [agencyId, userId],
    });
    return rows[0]?.n ?? 0;
  }
}
