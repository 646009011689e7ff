import { outboxTableDdl } from '@gad/bus';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `notify` schema: what notification-service knows about recipients (profile, preferences,
 * duty, login state) and units (status), the commands it issued with their acknowledgement stages,
 * the escalation steps that fired, every delivery attempt, webhook subscriptions, notices and the
 * outbox of the events it produces (`command.issued`, `assignment.unacknowledged`).
 */
export class CreateNotifySchema1732400000000 implements MigrationInterface {
  name = 'CreateNotifySchema1732400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS notify`);
    await queryRunner.query(`
      CREATE TABLE notify.recipients (
        agency_id text NOT NULL,
        user_id text NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        locale text NOT NULL DEFAULT 'es',
        on_duty boolean NOT NULL DEFAULT true,
        unit_id text,
        telegram_chat_id text,
        email text,
        channels text[] NOT NULL DEFAULT '{in_app}',
        quiet_start text,
        quiet_end text,
        quiet_time_zone text,
        logged_out_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, user_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX recipients_roles_idx ON notify.recipients USING gin (roles)`,
    );
    await queryRunner.query(`
      CREATE TABLE notify.units (
        agency_id text NOT NULL,
        unit_id text NOT NULL,
        status text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, unit_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE notify.assignments (
        agency_id text NOT NULL,
        assignment_id uuid NOT NULL,
        incident_id uuid NOT NULL,
        unit_id text NOT NULL,
        priority text NOT NULL,
        created_at timestamptz NOT NULL,
        settled_at timestamptz,
        settled_reason text,
        PRIMARY KEY (agency_id, assignment_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE notify.commands (
        command_id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        assignment_id uuid NOT NULL,
        incident_id uuid NOT NULL,
        unit_id text NOT NULL,
        user_id text NOT NULL,
        priority text NOT NULL,
        critical boolean NOT NULL,
        locale text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}',
        issued_at timestamptz NOT NULL,
        delivered_at timestamptz,
        seen_at timestamptz,
        accepted_at timestamptz,
        declined_at timestamptz,
        decline_reason text,
        UNIQUE (agency_id, assignment_id, user_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX commands_incident_idx ON notify.commands (agency_id, incident_id, issued_at)`,
    );
    await queryRunner.query(`
      CREATE TABLE notify.escalations (
        agency_id text NOT NULL,
        assignment_id uuid NOT NULL,
        step text NOT NULL,
        fired_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, assignment_id, step)
      )`);
    await queryRunner.query(`
      CREATE TABLE notify.notices (
        notice_id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        source_event_id text NOT NULL,
        user_id text NOT NULL,
        kind text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (agency_id, source_event_id, user_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE notify.webhooks (
        webhook_id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        url text NOT NULL,
        secret text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhooks_agency_idx ON notify.webhooks (agency_id)`);
    await queryRunner.query(`
      CREATE TABLE notify.deliveries (
        id bigserial PRIMARY KEY,
        agency_id text NOT NULL,
        command_id uuid,
        notice_id uuid,
        channel text NOT NULL,
        target text NOT NULL,
        attempt int NOT NULL,
        outcome text NOT NULL,
        detail text,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX deliveries_command_idx ON notify.deliveries (agency_id, command_id)
         WHERE command_id IS NOT NULL`,
    );
    await queryRunner.query(outboxTableDdl('notify'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA notify CASCADE`);
  }
}
