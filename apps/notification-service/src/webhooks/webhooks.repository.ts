import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf, type SealedSecret, type SqlClient } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'webhooks.repository.sql'));
const INSERT = sqlOf(SQL, 'insert');
const LIST = sqlOf(SQL, 'list');
const DELETE = sqlOf(SQL, 'delete');
const FOR_DELIVERY = sqlOf(SQL, 'for_delivery');
const SEAL_LEGACY = sqlOf(SQL, 'seal_legacy');

interface WebhookRow {
  webhook_id: string;
  url: string;
  description: string | null;
  active: boolean;
  created_at: Date;
}

export interface StoredWebhook {
  webhookId: string;
  url: string;
  description: string | null;
  active: boolean;
  createdAt: Date;
}

/** What a delivery needs: the target and the sealed secret (or a legacy plain one). */
export interface WebhookForDelivery {
  url: string;
  active: boolean;
  sealed?: SealedSecret;
  legacySecret?: string;
}

const toWebhook = (row: WebhookRow): StoredWebhook => ({
  webhookId: row.webhook_id,
  url: row.url,
  description: row.description,
  active: row.active,
  createdAt: row.created_at,
});

/** Agency webhooks (`notify.webhooks`) with sealed secrets. */
@Injectable()
export class WebhookSetupRepository {
  constructor(private readonly database: Database) {}

  async insert(
    w: {
      webhookId: string;
      agencyId: string;
      url: string;
      description?: string;
      sealed: SealedSecret;
    },
    client?: SqlClient,
  ): Promise<StoredWebhook> {
    const [row] = await this.database.rows<WebhookRow>(
      {
        text: INSERT,
        values: [
          w.webhookId,
          w.agencyId,
          w.url,
          w.description ?? null,
          w.sealed.ciphertext,
          w.sealed.keyId,
        ],
      },
      client,
    );
    return toWebhook(row as WebhookRow);
  }

  async list(agencyId: string, client?: SqlClient): Promise<StoredWebhook[]> {
    const rows = await this.database.rows<WebhookRow>({ text: LIST, values: [agencyId] }, client);
    return rows.map(toWebhook);
  }

  /** True when a webhook of the agency was deleted. */
  async delete(agencyId: string, webhookId: string, client?: SqlClient): Promise<boolean> {
    const result = await this.database.result(
      { text: DELETE, values: [agencyId, webhookId] },
      client,
    );
    return (result.rowCount ?? 0) > 0;
  }

  async forDelivery(agencyId: string, webhookId: string): Promise<WebhookForDelivery | undefined> {
    const [row] = await this.database.rows<{
      url: string;
      secret: string | null;
      secret_ciphertext: string | null;
      secret_key_id: string | null;
      active: boolean;
    }>({ text: FOR_DELIVERY, values: [agencyId, webhookId] });
    if (!row) {
      return undefined;
    }
    return {
      url: row.url,
      active: row.active,
      ...(row.secret_ciphertext && row.secret_key_id
        ? { sealed: { ciphertext: row.secret_ciphertext, keyId: row.secret_key_id } }
        : {}),
      ...(row.secret ? { legacySecret: row.secret } : {}),
    };
  }

  async sealLegacy(agencyId: string, webhookId: string, sealed: SealedSecret): Promise<void> {
    await this.database.result({
      text: SEAL_LEGACY,
      values: [agencyId, webhookId, sealed.ciphertext, sealed.keyId],
    });
  }
}
