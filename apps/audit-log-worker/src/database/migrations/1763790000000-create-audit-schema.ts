import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `audit` schema: hash-chained entries (monthly partitions by `recorded_at`), signed checkpoints
 * and purge anchors; all three append-only (a trigger rejects UPDATE, DELETE and TRUNCATE for
 * everyone, superusers included unless they disable it). Role `gad_audit_writer` (NOLOGIN) may only
 * SELECT and INSERT; the worker `SET LOCAL ROLE`s to it for every write transaction.
 */
export class CreateAuditSchema1763790000000 implements MigrationInterface {
  name = 'CreateAuditSchema1763790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS audit`);
    // ISO-8601 UTC text -> timestamptz. Declared IMMUTABLE so generated columns can use it; it is,
    // for the `...Z` strings audit entries are validated to carry (no dependence on TimeZone).
    await queryRunner.query(`
      CREATE FUNCTION audit.utc_ts(value text) RETURNS timestamptz
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT value::timestamptz $$`);
    await queryRunner.query(`
      CREATE TABLE audit.entries (
        agency_id   text        NOT NULL,
        seq         bigint      NOT NULL,
        id          uuid        NOT NULL,
        prev_hash   text        NOT NULL,
        hash        text        NOT NULL,
        entry       jsonb       NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        occurred_at timestamptz GENERATED ALWAYS AS (audit.utc_ts(entry->>'occurredAt')) STORED,
        actor_id    text        GENERATED ALWAYS AS (entry->'actor'->>'id') STORED,
        action      text        GENERATED ALWAYS AS (entry->>'action') STORED,
        object_type text        GENERATED ALWAYS AS (entry->'object'->>'type') STORED,
        object_id   text        GENERATED ALWAYS AS (entry->'object'->>'id') STORED,
        outcome     text        GENERATED ALWAYS AS (entry->>'outcome') STORED,
        PRIMARY KEY (agency_id, seq, recorded_at)
      ) PARTITION BY RANGE (recorded_at)`);
    await queryRunner.query(`CREATE INDEX entries_id_idx ON audit.entries (id)`);
    // recorded_at grows with insertion order: a BRIN index finds recent entries cheaply.
    await queryRunner.query(
      `CREATE INDEX entries_recorded_brin ON audit.entries USING brin (recorded_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX entries_agency_occurred_idx ON audit.entries (agency_id, occurred_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX entries_agency_actor_idx ON audit.entries (agency_id, actor_id, seq)`,
    );
    await queryRunner.query(
      `CREATE INDEX entries_agency_action_idx ON audit.entries (agency_id, action, seq)`,
    );
    await queryRunner.query(
      `CREATE INDEX entries_agency_object_idx ON audit.entries (agency_id, object_type, object_id, seq)`,
    );
    await queryRunner.query(`
      CREATE TABLE audit.checkpoints (
        id                  uuid        PRIMARY KEY,
        agency_id           text        NOT NULL,
        seq                 bigint      NOT NULL,
        head_hash           text        NOT NULL,
        count               integer     NOT NULL,
        prev_checkpoint_seq bigint      NOT NULL,
        created_at          timestamptz NOT NULL,
        key_id              text        NOT NULL,
        signature           text        NOT NULL,
        UNIQUE (agency_id, seq)
      )`);
    // Where retention cut each chain: verification starts after through_seq from through_hash.
    await queryRunner.query(`
      CREATE TABLE audit.purges (
        agency_id    text        NOT NULL,
        through_seq  bigint      NOT NULL,
        through_hash text        NOT NULL,
        partition    text        NOT NULL,
        purged_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, through_seq)
      )`);
    await queryRunner.query(`
      CREATE FUNCTION audit.reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit.% is append-only: % rejected', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['entries', 'checkpoints', 'purges']) {
      await queryRunner.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON audit.${table}
        FOR EACH ROW EXECUTE FUNCTION audit.reject_change()`);
      await queryRunner.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON audit.${table}
        FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change()`);
    }
    // Monthly partitions named entries_pYYYYMM, from `months_back` ago to `months_ahead` ahead.
    await queryRunner.query(`
      CREATE FUNCTION audit.ensure_partitions(months_back int, months_ahead int) RETURNS int
      LANGUAGE plpgsql AS $$
      DECLARE
        month_start date;
        created int := 0;
      BEGIN
        FOR i IN -months_back..months_ahead LOOP
          month_start := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
          IF to_regclass(format('audit.entries_p%s', to_char(month_start, 'YYYYMM'))) IS NULL THEN
            EXECUTE format(
              'CREATE TABLE audit.%I PARTITION OF audit.entries FOR VALUES FROM (%L) TO (%L)',
              'entries_p' || to_char(month_start, 'YYYYMM'),
              month_start::timestamp AT TIME ZONE 'UTC',
              (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
            -- Row triggers are inherited from the parent; TRUNCATE of a partition needs its own.
            EXECUTE format(
              'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON audit.%I '
              'FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change()',
              'entries_p' || to_char(month_start, 'YYYYMM'));
            created := created + 1;
          END IF;
        END LOOP;
        RETURN created;
      END $$`);
    await queryRunner.query(`SELECT audit.ensure_partitions(1, 3)`);
    // Roles are cluster-wide: tolerate another database's migration creating it at the same time.
    await queryRunner.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gad_audit_writer') THEN
          CREATE ROLE gad_audit_writer NOLOGIN;
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await queryRunner.query(`REVOKE ALL ON ALL TABLES IN SCHEMA audit FROM gad_audit_writer`);
    await queryRunner.query(`GRANT USAGE ON SCHEMA audit TO gad_audit_writer`);
    await queryRunner.query(
      `GRANT SELECT, INSERT ON audit.entries, audit.checkpoints TO gad_audit_writer`,
    );
    await queryRunner.query(`GRANT SELECT ON audit.purges TO gad_audit_writer`);
    // Lets a non-superuser migration/worker login role switch to the writer role.
    await queryRunner.query(`
      DO $$ BEGIN
        IF NOT pg_has_role(current_user, 'gad_audit_writer', 'MEMBER') THEN
          EXECUTE format('GRANT gad_audit_writer TO %I', current_user);
        END IF;
      EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
      END $$`);
  }

  /** Never drops the evidence: audit schema changes roll forward (ADR 0025). */
  async down(): Promise<void> {
    throw new Error(
      'audit migrations are not reverted: down() would drop the evidence; write a forward fix ' +
        '(docs/adr/0025-schema-changes-roll-forward.md)',
    );
  }
}
