-- 0002: device fault events (folded into complaints by a rule) and public form receipts.

CREATE TABLE device_events (
    id INTEGER PRIMARY KEY,
    event_key TEXT,               -- device_id '/' the sender's event id: re-delivery finds it
    device_id TEXT NOT NULL,
    model TEXT,
    fault_code TEXT NOT NULL,
    message TEXT,
    at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    feedback_id INTEGER REFERENCES feedback(id)  -- the complaint it was folded into, if any
);
CREATE UNIQUE INDEX device_events_key ON device_events(event_key) WHERE event_key IS NOT NULL;
CREATE INDEX device_events_device ON device_events(device_id, at);

-- A receipt the customer keeps to look up the status of what they sent through a form.
CREATE TABLE form_receipts (
    receipt TEXT PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    form TEXT NOT NULL
);
