import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Database, loadSqlFile, sqlOf } from '@gad/platform';

const SQL = loadSqlFile(join(__dirname, 'webhooks.repository.sql'));
const ACTIVE_WEBHOOKS = sqlOf(SQL, 'active_webhooks');
const WEBHOOK = sqlOf(SQL, 'webhook');
const UPSERT_WEBHOOK = sqlOf(SQL, 'upsert_webhook');

/** An agency's webhook subscriptions (`notify.webhooks`). */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly database: Database) {}

  async activeWebhooks(agencyId: string): Promise<{ webhookId: string }[]> {
    const rows = await this.database.rows<{ webhook_id: string }>({
      text: ACTIVE_WEBHOOKS,
      values: [agencyId],
    });
    return rows.map((r) => ({ webhookId: r.webhook_id }));
  }

  async webhook(
    agencyId: string,
    webhookId: string,
  ): Promise<{ url: string; secret: string; active: boolean } | undefined> {
    const [row] = await this.database.rows<{ url: string; secret: string; active: boolean }>({
      text: WEBHOOK,
      values: [agencyId, webhookId],
    });
    return row;
  }

  async upsertWebhook(w: {
    agencyId: string;
    webhookId: string;
    url: string;
    secret: string;
    active: boolean;
  }): Promise<void> {
    await this.database.result({
      text: UPSERT_WEBHOOK,
      values: [w.webhookId, w.agencyId, w.url, w.secret, w.active],
    });
  }
}
