-- Users (`dispatch.users`). Every statement that reads or changes an agency's users is scoped by
-- `agency_id`; the only unscoped ones are the pre-authentication lookups (login name, failed and
-- successful logins by id), the first-admin check and the inactivity sweep.

-- Pre-authentication lookup by username or e-mail (case-insensitive), in one agency or, without
-- one ($2 null), across agencies: names are unique per agency, so up to two rows tell an ambiguous
-- login.
-- name: find_by_login
SELECT id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at,
  (SELECT a.status FROM dispatch.agencies a WHERE a.id = users.agency_id) AS agency_status
FROM dispatch.users
WHERE (lower(username) = lower($1) OR lower(email) = lower($1))
  AND ($2::text IS NULL OR agency_id = $2)
ORDER BY agency_id, id
LIMIT 2;

-- name: find
SELECT id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at FROM dispatch.users WHERE agency_id = $1 AND id = $2;

-- Reads and row-locks a user inside the caller's transaction.
-- name: lock
SELECT id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at FROM dispatch.users WHERE agency_id = $1 AND id = $2
FOR UPDATE;

-- name: list
SELECT id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at FROM dispatch.users
WHERE agency_id = $1 AND ($2::text IS NULL OR username > $2)
  AND ($3::text IS NULL OR status = $3)
ORDER BY username LIMIT $4;

-- name: any_admin
SELECT EXISTS (SELECT 1 FROM dispatch.users WHERE 'admin' = ANY (roles)) AS found;

-- Serialises first-admin creation across replicas (transaction-scoped advisory lock).
-- name: lock_bootstrap
SELECT pg_advisory_xact_lock(hashtext('gad:bootstrap-admin'));

-- name: insert
INSERT INTO dispatch.users (id, agency_id, username, email, display_name, locale, roles,
  password_hash, password_changed_at, last_seen_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $9)
RETURNING id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at;

-- A column changes only when its flag ($3, $5, $7) is set.
-- name: update_profile
UPDATE dispatch.users SET
  email = CASE WHEN $3 THEN $4 ELSE email END,
  display_name = CASE WHEN $5 THEN $6 ELSE display_name END,
  locale = CASE WHEN $7 THEN $8 ELSE locale END,
  updated_at = $9
WHERE agency_id = $1 AND id = $2 RETURNING id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at;

-- name: set_roles
UPDATE dispatch.users SET roles = $3, updated_at = $4
WHERE agency_id = $1 AND id = $2 RETURNING id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at;

-- name: set_password
UPDATE dispatch.users SET password_hash = $3, password_changed_at = $4, updated_at = $4
WHERE agency_id = $1 AND id = $2;

-- Sets the status; `active` also clears failed logins and counts as activity.
-- name: set_status
UPDATE dispatch.users SET status = $3, status_reason = $4, updated_at = $5,
  recent_failures = CASE WHEN $3 = 'active' THEN '{}' ELSE recent_failures END,
  last_seen_at = CASE WHEN $3 = 'active' THEN $5 ELSE last_seen_at END
WHERE agency_id = $1 AND id = $2 RETURNING id, agency_id, username, email, display_name, locale, roles, status,
  status_reason, password_hash, last_login_at, last_seen_at, created_at, updated_at;

-- name: delete
DELETE FROM dispatch.users WHERE agency_id = $1 AND id = $2 RETURNING id;

-- name: record_login
UPDATE dispatch.users SET last_login_at = $2, last_seen_at = $2, recent_failures = '{}'
WHERE id = $1;

-- name: touch
UPDATE dispatch.users SET last_seen_at = $2 WHERE id = $1;

-- System sweep: disables active accounts unused since $1 (across agencies).
-- name: disable_inactive
UPDATE dispatch.users SET status = 'disabled', status_reason = 'inactive', updated_at = $2
WHERE status = 'active' AND last_seen_at < $1 RETURNING id, agency_id;
