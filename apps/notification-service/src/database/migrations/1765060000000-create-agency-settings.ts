import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * notification-service's copy of each agency's settings, kept from `agency.settings_changed`
 * (api-gateway owns them): the newest version seen wins. Escalation ladders per priority and the
 * allowed webhook hosts are read from here (through a short in-memory cache).
 */
export class CreateAgencySettings1765060000000 implements MigrationInterface {
  name = 'CreateAgencySettings1765060000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE notify.agency_settings (
        agency_id text PRIMARY KEY,
        version integer NOT NULL,
        settings jsonb NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notify.agency_settings`);
  }
}
