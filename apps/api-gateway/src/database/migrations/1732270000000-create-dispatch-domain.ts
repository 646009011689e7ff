import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Units, the append-only incident timeline, assignments, and the command/ack bookkeeping. */
export class CreateDispatchDomain1732270000000 implements MigrationInterface {
  name = 'CreateDispatchDomain1732270000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dispatch.units (
        id text PRIMARY KEY,
        agency_id text NOT NULL,
        call_sign text NOT NULL,
        type text NOT NULL,
        capabilities text[] NOT NULL DEFAULT '{}',
        crew text[] NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'off_duty'
          CHECK (status IN ('available','dispatched','en_route','on_scene','returning',
                            'out_of_service','off_duty')),
        status_changed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX units_agency_call_sign_uq ON dispatch.units (agency_id, lower(call_sign))
         WHERE retired_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX units_agency_status_idx ON dispatch.units (agency_id, status) WHERE retired_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX units_crew_idx ON dispatch.units USING gin (crew) WHERE retired_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE dispatch.incident_timeline (
        id bigserial PRIMARY KEY,
        agency_id text NOT NULL,
        incident_id uuid NOT NULL REFERENCES dispatch.incidents (id),
        kind text NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_kind text NOT NULL,
        actor_id text NOT NULL,
        message text NOT NULL,
        reason text,
        detail jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(
      `CREATE INDEX incident_timeline_incident_idx ON dispatch.incident_timeline (agency_id, incident_id, id)`,
    );
    // Append-only: history is evidence.
    await queryRunner.query(`
      CREATE FUNCTION dispatch.reject_timeline_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'dispatch.incident_timeline is append-only';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER incident_timeline_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON dispatch.incident_timeline
        FOR EACH STATEMENT EXECUTE FUNCTION dispatch.reject_timeline_change()`);

    await queryRunner.query(`
      CREATE TABLE dispatch.assignments (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        incident_id uuid NOT NULL REFERENCES dispatch.incidents (id),
        unit_id text NOT NULL REFERENCES dispatch.units (id),
        status text NOT NULL
          CHECK (status IN ('proposed','notified','delivered','seen','accepted','declined',
                            'en_route','on_scene','cleared')),
        steps jsonb NOT NULL DEFAULT '{}',
        decline_reason text,
        recommendation jsonb,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX assignments_incident_idx ON dispatch.assignments (agency_id, incident_id, created_at)`,
    );
    // A unit works one incident at a time.
    await queryRunner.query(
      `CREATE UNIQUE INDEX assignments_active_unit_uq ON dispatch.assignments (unit_id)
         WHERE status NOT IN ('declined','cleared')`,
    );

    // command.issued (notification-service) → which assignment a command belongs to.
    await queryRunner.query(`
      CREATE TABLE dispatch.commands (
        command_id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        assignment_id uuid NOT NULL REFERENCES dispatch.assignments (id),
        recipient_kind text NOT NULL,
        recipient_id text NOT NULL,
        issued_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX commands_assignment_idx ON dispatch.commands (assignment_id)`,
    );
    // command.acknowledged envelopes, kept by envelope id (idempotency) until their command is known.
    await queryRunner.query(`
      CREATE TABLE dispatch.command_acks (
        event_id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        command_id uuid NOT NULL,
        stage text NOT NULL CHECK (stage IN ('delivered','seen','accepted','declined')),
        reason text,
        user_id text NOT NULL,
        received_at timestamptz NOT NULL,
        applied_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX command_acks_command_idx ON dispatch.command_acks (command_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dispatch.command_acks`);
    await queryRunner.query(`DROP TABLE dispatch.commands`);
    await queryRunner.query(`DROP TABLE dispatch.assignments`);
    await queryRunner.query(`DROP TABLE dispatch.incident_timeline`);
    await queryRunner.query(`DROP FUNCTION dispatch.reject_timeline_change()`);
    await queryRunner.query(`DROP TABLE dispatch.units`);
  }
}
