import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The straight ack loop (docs/adr/0028): acks carry their command's assignment, so the api-gateway
 * no longer keeps `command → assignment` (`dispatch.commands`) nor acks waiting for their command.
 * Acks still waiting are dropped (their command was never learnt); every stored ack is an applied
 * one, so `applied_at` and the index of pending acks go.
 */
export class DropDispatchCommands1796700000000 implements MigrationInterface {
  name = 'DropDispatchCommands1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dispatch.commands`);
    await queryRunner.query(`DROP INDEX IF EXISTS dispatch.command_acks_pending_idx`);
    await queryRunner.query(`DELETE FROM dispatch.command_acks WHERE applied_at IS NULL`);
    await queryRunner.query(`ALTER TABLE dispatch.command_acks DROP COLUMN applied_at`);
  }

  /** Documentation of the inverse only: no tool runs it (docs/adr/0025). */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dispatch.command_acks ADD COLUMN applied_at timestamptz`);
    await queryRunner.query(`UPDATE dispatch.command_acks SET applied_at = received_at`);
    await queryRunner.query(
      `CREATE INDEX command_acks_pending_idx ON dispatch.command_acks (received_at)
        WHERE applied_at IS NULL`,
    );
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
  }
}
