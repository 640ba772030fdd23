-- 0001: the feedback record, its timeline, API keys and per-channel counts.
-- Column names are the field names of src/core/intake/record.c.

CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    external_id TEXT,
    idempotency_key TEXT,
    received_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    customer_id TEXT,
    customer_name TEXT,
    phone TEXT,
    email TEXT,
    customer_segment TEXT,
    product TEXT,
    order_no TEXT,
    store TEXT,
    region TEXT,
    rating REAL,
    rating_scale REAL,
    title TEXT,
    text TEXT NOT NULL,
    attachments TEXT,
    extra TEXT,
    clean_text TEXT,
    category_l1 TEXT,
    category_l2 TEXT,
    category_l3 TEXT,
    category_source TEXT,
    category_confidence REAL,
    severity TEXT,
    sentiment TEXT,
    sentiment_score REAL,
    keywords TEXT,
    priority TEXT,
    duplicate_of INTEGER REFERENCES feedback(id),
    status TEXT NOT NULL DEFAULT 'received',
    assignee TEXT,
    team TEXT,
    acknowledged_at INTEGER,
    assigned_at INTEGER,
    responded_at INTEGER,
    resolved_at INTEGER,
    closed_at INTEGER,
    reopened_at INTEGER,
    updated_at INTEGER NOT NULL
);

-- Re-delivery of the same channel message, or the same Idempotency-Key, finds the original.
CREATE UNIQUE INDEX feedback_channel_external ON feedback(channel, external_id)
    WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX feedback_idempotency ON feedback(idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Lists are ordered newest received first; filters on time ranges use it too.
CREATE INDEX feedback_received ON feedback(received_at, id);

-- The timeline: every event on a record after its creation (who, when, what, before/after);
-- the creation itself is the record's recorded_at and created_by.
CREATE TABLE feedback_events (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    field TEXT,
    before TEXT,
    after TEXT,
    note TEXT
);
CREATE INDEX feedback_events_feedback ON feedback_events(feedback_id, id);

-- Maintained in the same transaction as inserts, so /metrics never scans.
CREATE TABLE feedback_channel_counts (
    channel TEXT PRIMARY KEY,
    n INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
