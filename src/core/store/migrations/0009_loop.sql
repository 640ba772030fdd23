-- 0009: the closed loop's case handling: comments and mentions, sub-tasks for other departments,
-- links between cases, tags, routing rules, SLA policies and calendars, and what the SLA
-- scheduler keeps per case beyond 0007's case_sla.

-- Comments (public to the case's handlers) and internal notes; mentions are parsed usernames.
CREATE TABLE case_comments (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    at INTEGER NOT NULL,          -- unix ms
    author TEXT NOT NULL,
    internal INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
);
CREATE INDEX case_comments_feedback ON case_comments(feedback_id, id);
CREATE TABLE case_mentions (
    comment_id INTEGER NOT NULL REFERENCES case_comments(id),
    username TEXT NOT NULL,
    feedback_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (comment_id, username)
);
CREATE INDEX case_mentions_user ON case_mentions(username, at);

-- A piece of work another team does for a case, with its own due time. While a blocking
-- sub-task is open the case may wait in pending_third_party.
CREATE TABLE case_subtasks (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    team TEXT NOT NULL,
    title TEXT NOT NULL,
    due_at INTEGER,               -- unix ms
    blocking INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'open', -- open, done, cancelled
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    done_at INTEGER,
    done_by TEXT,
    result TEXT,
    overdue_at INTEGER            -- when the SLA scheduler reported it overdue (unix ms)
);
CREATE INDEX case_subtasks_feedback ON case_subtasks(feedback_id);
CREATE INDEX case_subtasks_team ON case_subtasks(team, status);
CREATE INDEX case_subtasks_due ON case_subtasks(due_at) WHERE status='open' AND overdue_at IS NULL;

-- Related cases (kept once, a < b).
CREATE TABLE case_links (
    a INTEGER NOT NULL REFERENCES feedback(id),
    b INTEGER NOT NULL REFERENCES feedback(id),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (a, b)
);
CREATE INDEX case_links_b ON case_links(b);

CREATE TABLE case_tags (
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (feedback_id, tag)
);

-- Routing rules: body is the rule's JSON (loop/routing.h); position orders them.
CREATE TABLE routing_rules (
    id INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE loop_settings (
    name TEXT PRIMARY KEY,        -- routing_mode: first | all
    value TEXT NOT NULL
);

-- SLA policies (loop/sla.h): chosen by a routing rule, else the first (by position) whose
-- priority/category/segment fit. Targets in working seconds of the calendar; 0 = none.
CREATE TABLE sla_policies (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
-- Business calendars (loop/calendar.h); the shipped cn-2026 and 24x7 need no row.
CREATE TABLE sla_calendars (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The scheduler's bookkeeping per case: when the clock started, when the case next needs a
-- look (warning or breach), which breaches were escalated. Times in unix seconds as in 0007.
ALTER TABLE case_sla ADD COLUMN start_at INTEGER;
ALTER TABLE case_sla ADD COLUMN next_check INTEGER;
ALTER TABLE case_sla ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_sla ADD COLUMN met INTEGER NOT NULL DEFAULT 0;
CREATE INDEX case_sla_next_check ON case_sla(next_check) WHERE next_check IS NOT NULL;

-- Open cases per assignee, for least-open assignment and the team lists: only open cases are
-- in it, so counting costs what an agent has open, not everything ever assigned.
CREATE INDEX feedback_assignee_open ON feedback(assignee)
    WHERE status NOT IN ('closed','closed_unaccepted');
CREATE INDEX feedback_team_open ON feedback(team)
    WHERE status NOT IN ('closed','closed_unaccepted');
