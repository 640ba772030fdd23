-- 0019: the complaint list sorted by severity or priority, and filtered by SLA state, without
-- scanning the records.

-- Severity and priority as ranks (4 = critical / p1, down to 1 = low / p4; 0 = unset), as
-- virtual columns: nothing is stored in the row, only in the two indexes below, which serve
-- the list's sort=severity|priority in either direction, ties by received time and id, with
-- the cursor as a row-value range (store/feedback.c, list_sorts[]). The price is two index
-- inserts per new record, and one more when a case's severity or priority changes.
ALTER TABLE feedback ADD COLUMN severity_rank INTEGER GENERATED ALWAYS AS (
    CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
                  WHEN 'low' THEN 1 ELSE 0 END) VIRTUAL;
ALTER TABLE feedback ADD COLUMN priority_rank INTEGER GENERATED ALWAYS AS (
    CASE priority WHEN 'p1' THEN 4 WHEN 'p2' THEN 3 WHEN 'p3' THEN 2
                  WHEN 'p4' THEN 1 ELSE 0 END) VIRTUAL;
CREATE INDEX feedback_severity_rank ON feedback(severity_rank, received_at, id);
CREATE INDEX feedback_priority_rank ON feedback(priority_rank, received_at, id);

-- The rare SLA states (sla=breached|paused|warning) start from these partial indexes, so a
-- page and its total cost what is in that state, not every record; the common states (ok,
-- none) are checked per record along the time index, where matches are dense.
CREATE INDEX case_sla_breached ON case_sla(feedback_id) WHERE breached <> 0;
CREATE INDEX case_sla_paused ON case_sla(feedback_id) WHERE paused_since IS NOT NULL;
CREATE INDEX case_sla_warned ON case_sla(feedback_id) WHERE warned <> 0;
