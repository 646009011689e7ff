import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames and e-mails are unique per agency, not across agencies (issue #17): a global index let
 * `POST /v1/users` tell an admin of one agency which names exist in another. Login looks names up
 * across agencies (non-unique indexes) and asks for the agency only when a name is ambiguous.
 */
export class ScopeUserNamesPerAgency1732290000000 implements MigrationInterface {
  name = 'ScopeUserNamesPerAgency1732290000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dispatch.users_username_key`);
    await queryRunner.query(`DROP INDEX dispatch.users_email_key`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX users_agency_username_key ON dispatch.users (agency_id, lower(username))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX users_agency_email_key ON dispatch.users (agency_id, lower(email))`,
    );
    await queryRunner.query(
      `CREATE INDEX users_login_username_idx ON dispatch.users (lower(username))`,
    );
    await queryRunner.query(`CREATE INDEX users_login_email_idx ON dispatch.users (lower(email))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dispatch.users_login_email_idx`);
    await queryRunner.query(`DROP INDEX dispatch.users_login_username_idx`);
    await queryRunner.query(`DROP INDEX dispatch.users_agency_email_key`);
    await queryRunner.query(`DROP INDEX dispatch.users_agency_username_key`);
    // Fails while two agencies share a name: that is the point of going back.
    await queryRunner.query(
      `CREATE UNIQUE INDEX users_username_key ON dispatch.users (lower(username))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_key ON dispatch.users (lower(email))`);
  }
}
