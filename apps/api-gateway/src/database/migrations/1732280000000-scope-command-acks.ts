import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Acks are kept only for commands of their sender (issue #17): the unit of the device that sent an
 * ack (checked against the command's recipient once the command is known), and an index to expire
 * acks whose command never became known. Unapplied acks older than the pending window are garbage
 * any officer could have written: removed.
 */
export class ScopeCommandAcks1732280000000 implements MigrationInterface {
  name = 'ScopeCommandAcks1732280000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dispatch.command_acks ADD COLUMN unit_id text`);
    await queryRunner.query(
      `CREATE INDEX command_acks_pending_idx ON dispatch.command_acks (received_at)
        WHERE applied_at IS NULL`,
    );
    await queryRunner.query(
      `DELETE FROM dispatch.command_acks
        WHERE applied_at IS NULL AND received_at < now() - interval '10 minutes'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dispatch.command_acks_pending_idx`);
    await queryRunner.query(`ALTER TABLE dispatch.command_acks DROP COLUMN unit_id`);
  }
}
