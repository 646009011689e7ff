import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * All-calls: a message to every on-duty unit of an agency (`notify.all_calls`) and the command each
 * unit got with the stages its devices acknowledged (`notify.all_call_commands`, one row per unit,
 * the same stage columns as `notify.commands`).
 */
export class CreateAllCalls1765070000000 implements MigrationInterface {
  name = 'CreateAllCalls1765070000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE notify.all_calls (
        all_call_id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        title text NOT NULL,
        message text NOT NULL,
        priority text NOT NULL,
        critical boolean NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX all_calls_agency_idx ON notify.all_calls (agency_id, created_at)`,
    );
    await queryRunner.query(`
      CREATE TABLE notify.all_call_commands (
        command_id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        all_call_id uuid NOT NULL REFERENCES notify.all_calls (all_call_id),
        unit_id text NOT NULL,
        issued_at timestamptz NOT NULL,
        delivered_at timestamptz,
        seen_at timestamptz,
        accepted_at timestamptz,
        declined_at timestamptz,
        decline_reason text,
        acknowledged_by text,
        UNIQUE (all_call_id, unit_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notify.all_call_commands`);
    await queryRunner.query(`DROP TABLE notify.all_calls`);
  }
}
