-- Agency webhooks set up through the API (`notify.webhooks`), secrets sealed.

-- name: insert
INSERT INTO notify.webhooks (webhook_id, agency_id, url, description, secret_ciphertext,
    secret_key_id, active)
VALUES ($1, $2, $3, $4, $5, $6, true)
RETURNING webhook_id, url, description, active, created_at;

-- name: list
SELECT webhook_id, url, description, active, created_at FROM notify.webhooks
 WHERE agency_id = $1 ORDER BY created_at, webhook_id;

-- name: delete
DELETE FROM notify.webhooks WHERE agency_id = $1 AND webhook_id = $2;

-- name: for_delivery
SELECT url, secret, secret_ciphertext, secret_key_id, active FROM notify.webhooks
 WHERE agency_id = $1 AND webhook_id = $2;

-- A secret stored in plain text (the internal upsert RPC) is sealed on first use.
-- name: seal_legacy
UPDATE notify.webhooks SET secret_ciphertext = $3, secret_key_id = $4, secret = NULL,
    updated_at = now()
 WHERE agency_id = $1 AND webhook_id = $2 AND secret IS NOT NULL;
