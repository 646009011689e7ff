import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #23 A (docs/adr/0026-calls-types-plans-notes-dispositions.md): calls taken before or
 * without an incident, the incident type catalogue with response plans, append-only notes, an
 * incident's disposition, and merge/split links between incidents.
 */
export class CreateCallsTypesNotes1765400000001 implements MigrationInterface {
  name = 'CreateCallsTypesNotes1765400000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dispatch.incidents
        ADD COLUMN disposition_code text,
        ADD COLUMN disposition_summary text,
        ADD COLUMN disposition_by text,
        ADD COLUMN disposition_at timestamptz,
        ADD COLUMN merged_into_id uuid REFERENCES dispatch.incidents (id),
        ADD COLUMN split_from_id uuid REFERENCES dispatch.incidents (id)`);
    await queryRunner.query(
      `CREATE INDEX incidents_merged_into_idx ON dispatch.incidents (merged_into_id)
         WHERE merged_into_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX incidents_split_from_idx ON dispatch.incidents (split_from_id)
         WHERE split_from_id IS NOT NULL`,
    );
    // Duplicate detection: open incidents of one type near a point, recent first.
    await queryRunner.query(
      `CREATE INDEX incidents_open_location_idx ON dispatch.incidents USING gist (location)
         WHERE status NOT IN ('closed','cancelled')`,
    );

    await queryRunner.query(`
      CREATE TABLE dispatch.calls (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('phone','radio','app','alarm')),
        caller_name text,
        callback_number text,
        location_text text,
        location geography(Point, 4326),
        received_at timestamptz NOT NULL,
        incident_type text,
        description text,
        incident_id uuid REFERENCES dispatch.incidents (id),
        linked_at timestamptz,
        linked_by text,
        duplicate_candidates jsonb NOT NULL DEFAULT '[]',
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (location IS NOT NULL OR location_text IS NOT NULL)
      )`);
    await queryRunner.query(
      `CREATE INDEX calls_agency_received_idx ON dispatch.calls (agency_id, received_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX calls_incident_idx ON dispatch.calls (agency_id, incident_id, received_at)
         WHERE incident_id IS NOT NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE dispatch.incident_types (
        agency_id text NOT NULL,
        code text NOT NULL,
        name_es text NOT NULL,
        name_en text NOT NULL,
        default_priority text NOT NULL CHECK (default_priority IN ('P1','P2','P3','P4')),
        plan jsonb NOT NULL DEFAULT '[]',
        active boolean NOT NULL DEFAULT true,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, code)
      )`);

    await queryRunner.query(`
      CREATE TABLE dispatch.notes (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        incident_id uuid REFERENCES dispatch.incidents (id),
        unit_id text REFERENCES dispatch.units (id),
        text text NOT NULL,
        author text NOT NULL,
        corrects uuid REFERENCES dispatch.notes (id),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CHECK (incident_id IS NOT NULL OR unit_id IS NOT NULL)
      )`);
    await queryRunner.query(
      `CREATE INDEX notes_incident_idx ON dispatch.notes (agency_id, incident_id, created_at)
         WHERE incident_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX notes_unit_idx ON dispatch.notes (agency_id, unit_id, created_at)
         WHERE unit_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX notes_corrects_idx ON dispatch.notes (corrects) WHERE corrects IS NOT NULL`,
    );
    // Append-only, like the timeline: a correction is a new note.
    await queryRunner.query(`
      CREATE FUNCTION dispatch.reject_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'dispatch.notes is append-only: add a note that corrects it';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER notes_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON dispatch.notes
        FOR EACH STATEMENT EXECUTE FUNCTION dispatch.reject_note_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dispatch.notes`);
    await queryRunner.query(`DROP FUNCTION dispatch.reject_note_change()`);
    await queryRunner.query(`DROP TABLE dispatch.incident_types`);
    await queryRunner.query(`DROP TABLE dispatch.calls`);
    await queryRunner.query(`DROP INDEX dispatch.incidents_open_location_idx`);
    await queryRunner.query(`DROP INDEX dispatch.incidents_split_from_idx`);
    await queryRunner.query(`DROP INDEX dispatch.incidents_merged_into_idx`);
    await queryRunner.query(`
      ALTER TABLE dispatch.incidents
        DROP COLUMN split_from_id, DROP COLUMN merged_into_id, DROP COLUMN disposition_at,
        DROP COLUMN disposition_by, DROP COLUMN disposition_summary, DROP COLUMN disposition_code`);
  }
}
