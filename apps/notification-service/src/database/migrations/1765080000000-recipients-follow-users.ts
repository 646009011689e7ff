import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recipients follow users from `user.changed`: whether the account may be paged (`account_active`,
 * false for a disabled user) and the time of the newest change applied (`user_changed_at`, older
 * events change nothing).
 */
export class RecipientsFollowUsers1765080000000 implements MigrationInterface {
  name = 'RecipientsFollowUsers1765080000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE notify.recipients
        ADD COLUMN account_active boolean NOT NULL DEFAULT true,
        ADD COLUMN user_changed_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE notify.recipients DROP COLUMN account_active, DROP COLUMN user_changed_at`);
  }
}
