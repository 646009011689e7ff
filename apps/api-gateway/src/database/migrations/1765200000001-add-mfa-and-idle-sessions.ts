import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Multi-factor authentication (TOTP, RFC 6238) and idle sessions (docs/adr/0023): a user's TOTP
 * secret (confirmed once a code matched, with the last time step used so a code never works twice),
 * one-time recovery codes (SHA-256 digests only), and per session the authentication methods it
 * proved (`amr`), its last use and its idle timeout.
 */
export class AddMfaAndIdleSessions1765200000001 implements MigrationInterface {
  name = 'AddMfaAndIdleSessions1765200000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dispatch.user_mfa (
        user_id uuid PRIMARY KEY REFERENCES dispatch.users (id) ON DELETE CASCADE,
        agency_id text NOT NULL,
        totp_secret text NOT NULL,
        confirmed_at timestamptz,
        last_step bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE dispatch.user_recovery_codes (
        code_hash bytea PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES dispatch.users (id) ON DELETE CASCADE,
        agency_id text NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX user_recovery_codes_user_idx ON dispatch.user_recovery_codes (user_id)`,
    );
    await queryRunner.query(`
      ALTER TABLE dispatch.sessions
        ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}',
        ADD COLUMN last_used_at timestamptz,
        ADD COLUMN idle_timeout_seconds integer`);
    await queryRunner.query(
      `UPDATE dispatch.sessions SET last_used_at = authenticated_at WHERE last_used_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dispatch.sessions
        DROP COLUMN amr, DROP COLUMN last_used_at, DROP COLUMN idle_timeout_seconds`);
    await queryRunner.query(`DROP TABLE dispatch.user_recovery_codes`);
    await queryRunner.query(`DROP TABLE dispatch.user_mfa`);
  }
}
