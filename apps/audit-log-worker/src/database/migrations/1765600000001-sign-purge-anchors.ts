import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Purge anchors are signed (docs/adr/0022): the key id and the Ed25519 signature over the anchor's
 * canonical JSON. Rows from before are left without one; the verifier does not trust them.
 */
export class SignPurgeAnchors1765600000001 implements MigrationInterface {
  name = 'SignPurgeAnchors1765600000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE audit.purges ADD COLUMN key_id text NOT NULL DEFAULT '',
                                ADD COLUMN signature text NOT NULL DEFAULT ''`,
    );
  }

  /** Audit evidence is never rolled back by a tool: forward fixes only (ADR 0025). */
  async down(): Promise<void> {
    throw new Error('audit migrations are not reverted: write a forward fix');
  }
}
