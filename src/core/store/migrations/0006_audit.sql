-- 0006: the tamper-evident audit log. Each entry's hash is BLAKE2b-256 over the previous
-- entry's hash and this entry's fields (store/audit.c), so an edited, inserted, deleted or
-- reordered entry breaks the chain where it happened.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    origin TEXT,        -- client address, "cli", ...
    action TEXT NOT NULL,
    object TEXT,        -- "feedback:42", "apikey:3", ...
    detail TEXT,        -- JSON: before/after, reason, counts
    prev TEXT NOT NULL, -- hex hash of the entry before (64 zeros for the first)
    hash TEXT NOT NULL
);
