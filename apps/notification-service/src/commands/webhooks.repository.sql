-- An agency's webhook subscriptions (`notify.webhooks`).

-- name: active_webhooks
SELECT webhook_id FROM notify.webhooks WHERE agency_id = $1 AND active ORDER BY webhook_id;

-- name: webhook
SELECT url, secret, active FROM notify.webhooks WHERE agency_id = $1 AND webhook_id = $2;

-- name: upsert_webhook
INSERT INTO notify.webhooks (webhook_id, agency_id, url, secret, active) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (webhook_id) DO UPDATE SET url = $3, secret = $4, active = $5, updated_at = now()
 WHERE notify.webhooks.agency_id = $2;
