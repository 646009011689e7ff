import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Agencies (tenants), users with their credentials, sessions (refresh-token families). */
export class CreateIdentity1732260000000 implements MigrationInterface {
  name = 'CreateIdentity1732260000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dispatch.agencies (
        id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE dispatch.users (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL REFERENCES dispatch.agencies (id),
        username text NOT NULL,
        email text NOT NULL,
        display_name text,
        locale text NOT NULL DEFAULT 'es' CHECK (locale IN ('es','en')),
        roles text[] NOT NULL CHECK (cardinality(roles) > 0),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','locked','disabled')),
        status_reason text,
        password_hash text NOT NULL,
        password_changed_at timestamptz NOT NULL,
        recent_failures timestamptz[] NOT NULL DEFAULT '{}',
        last_login_at timestamptz,
        last_seen_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    // Login takes a username or an e-mail without an agency: both are unique across agencies.
    await queryRunner.query(
      `CREATE UNIQUE INDEX users_username_key ON dispatch.users (lower(username))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_key ON dispatch.users (lower(email))`);
    await queryRunner.query(
      `CREATE INDEX users_agency_username_idx ON dispatch.users (agency_id, username)`,
    );
    await queryRunner.query(
      `CREATE INDEX users_active_seen_idx ON dispatch.users (last_seen_at) WHERE status = 'active'`,
    );
    await queryRunner.query(`
      CREATE TABLE dispatch.sessions (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        user_id uuid NOT NULL REFERENCES dispatch.users (id) ON DELETE CASCADE,
        authenticated_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason text,
        ip text,
        user_agent text
      )`);
    await queryRunner.query(
      `CREATE INDEX sessions_user_idx ON dispatch.sessions (user_id) WHERE revoked_at IS NULL`,
    );
    // Refresh tokens are stored as SHA-256 digests only; a used one stays to detect its reuse.
    await queryRunner.query(`
      CREATE TABLE dispatch.refresh_tokens (
        token_hash bytea PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES dispatch.sessions (id) ON DELETE CASCADE,
        agency_id text NOT NULL,
        issued_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX refresh_tokens_session_idx ON dispatch.refresh_tokens (session_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dispatch.refresh_tokens`);
    await queryRunner.query(`DROP TABLE dispatch.sessions`);
    await queryRunner.query(`DROP TABLE dispatch.users`);
    await queryRunner.query(`DROP TABLE dispatch.agencies`);
  }
}
