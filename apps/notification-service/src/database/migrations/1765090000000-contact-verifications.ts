import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contact channels set up by users: one pending verification per user and kind (`telegram`: a
 * one-time link code; `email`: a code e-mailed to the pending address), codes stored as SHA-256
 * hashes. The webhook host allow-list moved to the agency settings (`notify.agency_settings`).
 */
export class ContactVerifications1765090000000 implements MigrationInterface {
  name = 'ContactVerifications1765090000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE notify.contact_verifications (
        agency_id text NOT NULL,
        user_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('telegram', 'email')),
        code_hash text NOT NULL,
        email text,
        attempts int NOT NULL DEFAULT 0,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, user_id, kind)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX contact_verifications_code_idx ON notify.contact_verifications (code_hash)`,
    );
    await queryRunner.query(`DROP TABLE IF EXISTS notify.webhook_allowed_hosts`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notify.contact_verifications`);
    await queryRunner.query(`
      CREATE TABLE notify.webhook_allowed_hosts (
        agency_id text NOT NULL,
        host text NOT NULL,
        PRIMARY KEY (agency_id, host)
      )`);
  }
}
