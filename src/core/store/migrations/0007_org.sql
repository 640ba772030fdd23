-- 0007: the organisation (users, teams, who is in which team) and the per-case tables that
-- several modules read: SLA state (written by the loop's scheduler, read by stats and the UI)
-- and surveys (written by the return-visit module, read by stats). Later migrations may add
-- columns; none renames or drops these.

-- People who sign in. feedback.assignee holds a username, feedback.team a team name.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,          -- agent, supervisor, analyst, manager, auditor, admin, or custom
    password_hash TEXT,          -- Argon2id string (libsodium crypto_pwhash_str)
    email TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    on_duty INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,        -- unix seconds
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,   -- what feedback.team holds: "kefu", "quality", ...
    display_name TEXT NOT NULL,  -- 客服部
    supervisor TEXT,             -- username
    assign_mode TEXT NOT NULL DEFAULT 'round_robin', -- or 'least_open'
    rr_cursor INTEGER NOT NULL DEFAULT 0
);

-- Usernames are soft references: a member may be listed before the user exists.
CREATE TABLE team_members (
    team TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (team, username)
);
CREATE INDEX team_members_user ON team_members(username);

-- One row per case under an SLA policy; times are unix seconds. breached/warned are bit sets:
-- 1 acknowledgement, 2 first response, 4 resolution.
CREATE TABLE case_sla (
    feedback_id INTEGER PRIMARY KEY REFERENCES feedback(id),
    policy TEXT NOT NULL,
    calendar TEXT,
    ack_due INTEGER,
    response_due INTEGER,
    resolve_due INTEGER,
    paused_since INTEGER,        -- set while pending_customer / pending_third_party
    paused_secs INTEGER NOT NULL DEFAULT 0,
    warned INTEGER NOT NULL DEFAULT 0,
    breached INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE INDEX case_sla_resolve_due ON case_sla(resolve_due) WHERE resolve_due IS NOT NULL;

-- Return-visit surveys: one row per survey sent (link) or entered (hotline return visit).
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    customer_id TEXT,
    channel TEXT NOT NULL,       -- link, hotline
    token_hash TEXT UNIQUE,      -- hex BLAKE2b of the link token; NULL when entered by an agent
    sent_at INTEGER NOT NULL,
    expires_at INTEGER,
    answered_at INTEGER,
    csat INTEGER,                -- 1..5
    nps INTEGER,                 -- 0..10
    handling INTEGER,            -- satisfaction with how the complaint was handled, 1..5
    comment TEXT,
    answers TEXT,                -- JSON of configurable questions
    entered_by TEXT
);
CREATE INDEX surveys_feedback ON surveys(feedback_id);
CREATE INDEX surveys_answered ON surveys(answered_at) WHERE answered_at IS NOT NULL;
