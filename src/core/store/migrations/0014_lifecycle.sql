-- 0014: data lifecycle: cold archive, erasure on request, retention, audit-log retention.

-- Closed complaints moved to zstd archive files (DATA/archive/<file>): one zstd frame per
-- record at [offset, offset+length) of file, holding the record and its timeline as JSON.
CREATE TABLE archive_index (
    id INTEGER PRIMARY KEY,          -- the record's id (feedback.id before it was moved)
    file TEXT NOT NULL,              -- a bare file name under DATA/archive, checked on read
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    channel TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    closed_at INTEGER,
    archived_at INTEGER NOT NULL,
    customer_key TEXT,               -- keyed hash of customer_id: erasure finds archived records
    erased_at INTEGER                -- personal data removed (erasure or retention)
);
CREATE INDEX archive_index_file ON archive_index(file);
CREATE INDEX archive_index_customer ON archive_index(customer_key) WHERE customer_key IS NOT NULL;

-- When a record's personal data was erased (customer request or retention); statistics stay.
ALTER TABLE feedback ADD COLUMN pii_erased_at INTEGER;

-- Customers whose data was erased on request: a keyed hash, never the id itself.
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY,
    customer_key TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    records INTEGER NOT NULL,
    archived INTEGER NOT NULL
);

-- Audit-log retention removes the oldest entries; the chain then starts at first_id, whose
-- prev is kept here (verify starts from it). One row.
CREATE TABLE audit_anchor (
    k INTEGER PRIMARY KEY CHECK (k = 1),
    first_id INTEGER NOT NULL,
    prev TEXT NOT NULL,
    at INTEGER NOT NULL
);
