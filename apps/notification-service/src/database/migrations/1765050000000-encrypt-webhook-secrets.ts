import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agency webhooks set up through the API: the signing secret is stored encrypted (AES-256-GCM,
 * `secret_ciphertext` with the id of the key, `secret_key_id`); the plain `secret` column becomes
 * nullable and is emptied by the service as it encrypts old rows. `webhook_allowed_hosts` is the
 * agency allow-list of webhook hosts that may be private or loopback (until agency settings own it).
 */
export class EncryptWebhookSecrets1765050000000 implements MigrationInterface {
  name = 'EncryptWebhookSecrets1765050000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notify.webhooks ALTER COLUMN secret DROP NOT NULL`);
    await queryRunner.query(`
      ALTER TABLE notify.webhooks
        ADD COLUMN secret_ciphertext text,
        ADD COLUMN secret_key_id text,
        ADD COLUMN description text,
        ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()`);
    await queryRunner.query(`
      CREATE TABLE notify.webhook_allowed_hosts (
        agency_id text NOT NULL,
        host text NOT NULL,
        PRIMARY KEY (agency_id, host)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notify.webhook_allowed_hosts`);
    await queryRunner.query(`
      ALTER TABLE notify.webhooks
        DROP COLUMN secret_ciphertext, DROP COLUMN secret_key_id, DROP COLUMN description,
        DROP COLUMN created_at`);
  }
}
