import { outboxTableDdl } from '@gad/bus';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDispatchSchema1732250000000 implements MigrationInterface {
  name = 'CreateDispatchSchema1732250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS postgis`);
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS dispatch`);
    await queryRunner.query(`
      CREATE TABLE dispatch.incidents (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        type text NOT NULL,
        priority text NOT NULL CHECK (priority IN ('P1','P2','P3','P4')),
        status text NOT NULL DEFAULT 'new'
          CHECK (status IN ('new','dispatched','in_progress','resolved','closed','cancelled')),
        location geography(Point, 4326) NOT NULL,
        address text,
        description text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      )`);
    await queryRunner.query(
      `CREATE INDEX incidents_agency_created_idx ON dispatch.incidents (agency_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX incidents_location_idx ON dispatch.incidents USING gist (location)`,
    );
    await queryRunner.query(outboxTableDdl('dispatch'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA dispatch CASCADE`);
  }
}
