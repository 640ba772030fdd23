-- 0008: sign-in sessions, custom roles, and scopes and expiry for API keys (security).

-- One row per signed-in browser. The cookie holds a random token; only its BLAKE2b hash is
-- kept here, so a copy of the database opens no session. Times are unix milliseconds.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,          -- the X-CSRF-Token cookie-authenticated writes must send
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,  -- idle timeout (refreshed at most once a minute)
    expires_at INTEGER NOT NULL, -- absolute timeout
    origin TEXT                  -- client address at sign-in
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Roles beyond the built-in ones (src/core/secure/roles.c), made from permissions.
CREATE TABLE roles (
    name TEXT PRIMARY KEY,
    permissions TEXT NOT NULL,   -- space-separated permission names
    scope TEXT NOT NULL,         -- which cases: all, teams, own, none
    description TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- scopes: space-separated permissions, "role:NAME", or "*" (every permission; also NULL, the
-- keys made before scopes existed). expires_at: unix milliseconds, NULL = never.
ALTER TABLE api_keys ADD COLUMN scopes TEXT;
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
