-- Users, their API tokens and browser login sessions, shared by every instance on the database.
-- Portable SQL like 0001 (see src/db/mod.rs): TEXT and BIGINT only, timestamps as fixed-width
-- UTC RFC 3339 text, which sorts as time does.
--
-- users and user_tokens hold what the users file holds (argon2id PHC strings, never a secret);
-- they are the users of an installation whose [access] users = "database", filled by
-- `kotacerdas user migrate` and changed by `kotacerdas user add|token|remove`.
--
-- sessions holds every login, whatever the users' source: the SHA-256 of the session id (the
-- cookie's value itself is never stored, so a copy of the table signs nobody in), the user's
-- name, a stamp of the user's record at login (the SHA-256 of name, role, scope and password
-- hash: a user removed and added again, or given another role or scope, no longer matches it,
-- so the old sessions end) and a fixed expiry. No foreign key to users: with the users file
-- the users are not in the database.

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    region TEXT,
    password TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE user_tokens (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX user_tokens_user ON user_tokens (user_name);

CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    user_stamp TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expires ON sessions (expires_at);
