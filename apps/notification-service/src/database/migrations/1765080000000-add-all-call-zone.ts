import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An all-call may go to the on-duty units inside one zone (geofence) only: its id is kept. */
export class AddAllCallZone1765080000000 implements MigrationInterface {
  name = 'AddAllCallZone1765080000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notify.all_calls ADD COLUMN zone_id uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notify.all_calls DROP COLUMN zone_id`);
  }
}
