import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Platform operators (no agency) and what they manage: an agency's status (suspension) and its
 * settings in one JSONB document validated by `agencySettingsSchema` (libs/contracts), versioned for
 * `If-Match`. One-time set-password tokens for the admins platform operators create (digests only).
 * docs/adr/0014-platform-operators-and-agency-data.md.
 */
export class CreatePlatformOperatorsAndAgencySettings1765050000000 implements MigrationInterface {
  name = 'CreatePlatformOperatorsAndAgencySettings1765050000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dispatch.agencies
        ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','suspended')),
        ADD COLUMN status_reason text,
        ADD COLUMN suspended_at timestamptz,
        ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        ADD COLUMN settings_version integer NOT NULL DEFAULT 1,
        ADD COLUMN settings_updated_at timestamptz NOT NULL DEFAULT now()`);
    await queryRunner.query(`
      CREATE TABLE dispatch.platform_operators (
        id uuid PRIMARY KEY,
        username text NOT NULL,
        password_hash text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
        last_login_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX platform_operators_username_key
         ON dispatch.platform_operators (lower(username))`,
    );
    await queryRunner.query(`
      CREATE TABLE dispatch.password_setup_tokens (
        token_hash bytea PRIMARY KEY,
        agency_id text NOT NULL,
        user_id uuid NOT NULL REFERENCES dispatch.users (id) ON DELETE CASCADE,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dispatch.password_setup_tokens`);
    await queryRunner.query(`DROP TABLE dispatch.platform_operators`);
    await queryRunner.query(`
      ALTER TABLE dispatch.agencies
        DROP COLUMN settings_updated_at, DROP COLUMN settings_version, DROP COLUMN settings,
        DROP COLUMN suspended_at, DROP COLUMN status_reason, DROP COLUMN status`);
  }
}
