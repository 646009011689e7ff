-- Recipient profiles (`notify.recipients`): channels, locale, quiet hours, duty and login state.

-- name: find_many
SELECT * FROM notify.recipients WHERE agency_id = $1 AND user_id = ANY($2::text[]);

-- A unit's crew in one statement (a dispatch's lookup): the stored profiles of the users ($2; a
-- user without one is absent) and the unit's duty status ($3) on every row, one row of nulls
-- with the status when no user has a profile.
-- name: find_crew
SELECT u.status AS crew_unit_status, r.*
  FROM (SELECT (SELECT status FROM notify.units WHERE agency_id = $1 AND unit_id = $3) AS status) u
  LEFT JOIN notify.recipients r ON r.agency_id = $1 AND r.user_id = ANY($2::text[]);

-- name: find_by_roles
SELECT * FROM notify.recipients WHERE agency_id = $1 AND roles && $2::text[] AND account_active
 ORDER BY user_id LIMIT 500;

-- Fields not sent keep their value; $13-$16 say whether the nullable ones were sent.
-- name: upsert
INSERT INTO notify.recipients AS r (agency_id, user_id, roles, locale, on_duty, unit_id,
    telegram_chat_id, email, channels, quiet_start, quiet_end, quiet_time_zone)
VALUES ($1, $2, COALESCE($3::text[], '{}'), COALESCE($4, 'es'), COALESCE($5, true), $6, $7, $8,
    COALESCE($9::text[], '{in_app}'), $10, $11, $12)
ON CONFLICT (agency_id, user_id) DO UPDATE SET
    roles = COALESCE($3::text[], r.roles),
    locale = COALESCE($4, r.locale),
    on_duty = COALESCE($5, r.on_duty),
    unit_id = CASE WHEN $13 THEN $6 ELSE r.unit_id END,
    telegram_chat_id = CASE WHEN $14 THEN $7 ELSE r.telegram_chat_id END,
    email = CASE WHEN $15 THEN $8 ELSE r.email END,
    channels = COALESCE($9::text[], r.channels),
    quiet_start = CASE WHEN $16 THEN $10 ELSE r.quiet_start END,
    quiet_end = CASE WHEN $16 THEN $11 ELSE r.quiet_end END,
    quiet_time_zone = CASE WHEN $16 THEN $12 ELSE r.quiet_time_zone END,
    updated_at = now();

-- name: mark_logged_out
INSERT INTO notify.recipients (agency_id, user_id, logged_out_at) VALUES ($1, $2, $3)
ON CONFLICT (agency_id, user_id) DO UPDATE SET logged_out_at = $3, updated_at = now();

-- A device's own ack logs its user in again: in the ack's statement (commands.repository.sql,
-- record_stage_*).

-- A user as of `user.changed` (roles, locale, whether the account may be paged); an older change
-- than the one applied changes nothing. Contact channels and preferences are kept.
-- name: follow_user
INSERT INTO notify.recipients AS r (agency_id, user_id, roles, locale, account_active,
    user_changed_at)
VALUES ($1, $2, $3::text[], $4, $5, $6)
ON CONFLICT (agency_id, user_id) DO UPDATE SET
    roles = $3::text[], locale = $4, account_active = $5, user_changed_at = $6, updated_at = now()
 WHERE r.user_changed_at IS NULL OR r.user_changed_at <= $6;

-- A deleted user: nothing of them is kept.
-- name: forget_user
DELETE FROM notify.recipients WHERE agency_id = $1 AND user_id = $2;
