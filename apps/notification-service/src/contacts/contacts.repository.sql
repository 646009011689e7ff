-- A user's contact channels (`notify.recipients`) and pending verifications
-- (`notify.contact_verifications`).

-- name: contacts
SELECT r.telegram_chat_id, r.email, r.channels, r.quiet_start, r.quiet_end, r.quiet_time_zone,
       (SELECT v.email FROM notify.contact_verifications v
         WHERE v.agency_id = $1 AND v.user_id = $2 AND v.kind = 'email' AND v.expires_at > now())
         AS pending_email
  FROM (SELECT $1::text AS agency_id, $2::text AS user_id) k
  LEFT JOIN notify.recipients r ON r.agency_id = k.agency_id AND r.user_id = k.user_id;

-- One pending verification per user and kind: a new one replaces the old.
-- name: put_verification
INSERT INTO notify.contact_verifications (agency_id, user_id, kind, code_hash, email, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (agency_id, user_id, kind) DO UPDATE SET code_hash = $4, email = $5, attempts = 0,
    expires_at = $6, created_at = now();

-- name: take_telegram_code
DELETE FROM notify.contact_verifications
 WHERE code_hash = $1 AND kind = 'telegram' AND expires_at > now()
RETURNING agency_id, user_id;

-- Counts an attempt and answers the pending verification (once expired or spent, nothing).
-- name: attempt_email
UPDATE notify.contact_verifications SET attempts = attempts + 1
 WHERE agency_id = $1 AND user_id = $2 AND kind = 'email' AND expires_at > now() AND attempts < $3
RETURNING code_hash, email;

-- name: drop_verification
DELETE FROM notify.contact_verifications WHERE agency_id = $1 AND user_id = $2 AND kind = $3;

-- name: set_telegram_chat
INSERT INTO notify.recipients (agency_id, user_id, telegram_chat_id) VALUES ($1, $2, $3)
ON CONFLICT (agency_id, user_id) DO UPDATE SET telegram_chat_id = $3, updated_at = now();

-- name: set_email
INSERT INTO notify.recipients (agency_id, user_id, email) VALUES ($1, $2, $3)
ON CONFLICT (agency_id, user_id) DO UPDATE SET email = $3, updated_at = now();

-- $3 / $4-$6 apply when $7 / $8 say they were sent.
-- name: set_preferences
INSERT INTO notify.recipients AS r (agency_id, user_id, channels, quiet_start, quiet_end,
    quiet_time_zone)
VALUES ($1, $2, COALESCE($3::text[], '{in_app}'), $4, $5, $6)
ON CONFLICT (agency_id, user_id) DO UPDATE SET
    channels = CASE WHEN $7 THEN $3::text[] ELSE r.channels END,
    quiet_start = CASE WHEN $8 THEN $4 ELSE r.quiet_start END,
    quiet_end = CASE WHEN $8 THEN $5 ELSE r.quiet_end END,
    quiet_time_zone = CASE WHEN $8 THEN $6 ELSE r.quiet_time_zone END,
    updated_at = now();
