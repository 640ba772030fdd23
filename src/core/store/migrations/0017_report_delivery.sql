-- 0017: report delivery. A schedule names its recipients (e-mail addresses and alert
-- receivers); a report written with recipients queues one delivery per recipient in the
-- transaction that records the report, and the delivery thread of kesu serve sends them,
-- retrying with backoff (insight/reportsend.c). Times: unix ms.

ALTER TABLE report_schedules ADD COLUMN emails TEXT NOT NULL DEFAULT '[]';    -- JSON array
ALTER TABLE report_schedules ADD COLUMN receivers TEXT NOT NULL DEFAULT '[]'; -- alert_receivers ids

-- The report's headline figures as JSON ({"title","period","from","to","headlines":[...]}),
-- what a message about it says.
ALTER TABLE reports ADD COLUMN summary TEXT;

CREATE TABLE report_deliveries (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    email TEXT,                  -- an address the report is mailed to, or
    receiver_id INTEGER,         -- alert_receivers(id): a link (robots, webhook) or the file (email)
    state TEXT NOT NULL,         -- pending, sent, failed (gave up)
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_try_at INTEGER NOT NULL, -- also moved ahead while an attempt runs (a claim)
    sent_at INTEGER,
    created_at INTEGER NOT NULL,
    CHECK ((email IS NULL) <> (receiver_id IS NULL))
);
CREATE INDEX report_deliveries_due ON report_deliveries(next_try_at) WHERE state = 'pending';
CREATE INDEX report_deliveries_report ON report_deliveries(report_id);

-- Every attempt and its outcome: error NULL when the recipient accepted it.
CREATE TABLE report_delivery_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES report_deliveries(id),
    at INTEGER NOT NULL,
    ms INTEGER NOT NULL,         -- how long the attempt took
    error TEXT
);
CREATE INDEX report_delivery_attempts_of ON report_delivery_attempts(delivery_id);
