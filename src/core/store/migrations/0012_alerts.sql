-- 0012: alerts. Rules and receivers are data the API edits; an alert is one episode of a
-- rule firing for one series (at most one not yet resolved per rule and key); deliveries are
-- the notifications of an alert to its receivers, retried with backoff. Times: unix ms.

CREATE TABLE alert_receivers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,          -- webhook, dingtalk, wecom, feishu, email
    url TEXT NOT NULL,           -- webhook/robot URL, or smtp://host:port / smtps://...
    secret TEXT,                 -- DingTalk/Feishu signing secret; webhook HMAC key
    config TEXT NOT NULL DEFAULT '{}', -- JSON: e-mail from/to/username/password, msg_type
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,          -- spike, volume_change, csat_drop, negative_share, sla_compliance, severe
    dimensions TEXT NOT NULL DEFAULT '[]', -- JSON array of feedback columns a series is keyed by
    filter TEXT NOT NULL DEFAULT '{}',     -- JSON object column -> value the records must match
    params TEXT NOT NULL DEFAULT '{}',     -- JSON: threshold, window_days, min_count, ...
    receivers TEXT NOT NULL DEFAULT '[]',  -- JSON array of receiver ids; empty = every enabled one
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL,    -- alert_rules(id); the alert outlives a deleted rule
    series TEXT NOT NULL,        -- the series key, e.g. {"channel":"web","product":"X"}
    state TEXT NOT NULL,         -- open, acknowledged, resolved
    title TEXT NOT NULL,
    value REAL,                  -- the metric when it fired (then the latest while open)
    baseline REAL,
    threshold REAL,
    detail TEXT NOT NULL DEFAULT '{}',     -- JSON: method, period, series and baseline points
    feedback_ids TEXT NOT NULL DEFAULT '[]', -- JSON array: the complaints behind it
    opened_at INTEGER NOT NULL,
    fired_at INTEGER NOT NULL,   -- the last evaluation that found it firing
    updated_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    resolved_at INTEGER
);
-- One episode at a time per rule and series: raised once, never a storm.
CREATE UNIQUE INDEX alerts_episode ON alerts(rule_id, series) WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts(state, id);

CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    receiver_id INTEGER NOT NULL, -- alert_receivers(id), may since be deleted
    event TEXT NOT NULL,         -- opened, resolved
    state TEXT NOT NULL,         -- pending, sent, failed (gave up)
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_try_at INTEGER NOT NULL,
    sent_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(next_try_at) WHERE state = 'pending';
CREATE INDEX alert_deliveries_alert ON alert_deliveries(alert_id);

-- Cursors of the evaluator (e.g. the last feedback id checked for severe complaints).
CREATE TABLE alert_state (
    k TEXT PRIMARY KEY,
    v INTEGER NOT NULL
);
