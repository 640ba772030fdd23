-- 0010: return visits and improvement (CAPA). Surveys (0007) get their questions, an outbox
-- for the links and reminders, recovery follow-ups; problems group complaints with one cause;
-- root-cause records; improvement actions with measured effect evaluations; knowledge-base
-- articles. Times are unix milliseconds, like feedback's.

-- The questions a survey asks, in order. kind: scale (min..max) or text. key csat, nps and
-- handling are also stored in surveys' own columns; every answer is kept in surveys.answers.
CREATE TABLE survey_questions (
    key TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('scale', 'text')),
    min_value INTEGER,
    max_value INTEGER,
    required INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    low_zh TEXT,                 -- what the low end means (非常不满意)
    high_zh TEXT
);
INSERT INTO survey_questions VALUES
  ('csat', 1, 'scale', 1, 5, 1, 1, '您对本次服务的总体满意度', 'Overall satisfaction (CSAT)',
   '非常不满意', '非常满意'),
  ('nps', 2, 'scale', 0, 10, 0, 1, '您有多大可能向亲友推荐我们？',
   'How likely are you to recommend us (NPS)', '不可能', '非常可能'),
  ('handling', 3, 'scale', 1, 5, 0, 1, '您对投诉处理过程的满意度',
   'Satisfaction with how the complaint was handled', '非常不满意', '非常满意'),
  ('comment', 4, 'text', NULL, NULL, 0, 1, '还有什么想告诉我们的？', 'Anything else?', NULL, NULL);

ALTER TABLE surveys ADD COLUMN outbox_id INTEGER;
CREATE INDEX surveys_customer ON surveys(customer_id, sent_at) WHERE customer_id IS NOT NULL;

-- Messages to send (survey links, action reminders, escalations). A mailer sets sent_at; the
-- record exists whether or not one runs, so nothing is lost and nothing is sent twice.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,          -- survey_link, action_reminder, action_overdue, recurrence
    feedback_id INTEGER,
    action_id INTEGER,
    recipient TEXT,              -- e-mail address or username; NULL when unknown
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,                   -- the URL the message carries (a survey link), if any
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_unsent ON outbox(created_at) WHERE sent_at IS NULL;

-- Follow-ups on a case: a recovery call after a detractor's survey, or any agent task.
CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    survey_id INTEGER,
    kind TEXT NOT NULL,          -- recovery, task
    reason TEXT,
    owner TEXT,                  -- username
    due_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open', -- open, done
    created_at INTEGER NOT NULL,
    done_at INTEGER
);
CREATE INDEX followups_feedback ON followups(feedback_id);
CREATE INDEX followups_open ON followups(due_at) WHERE status = 'open';

CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL DEFAULT 'open', -- open, investigating, closed
    category TEXT,               -- the complaints' category (any level), for effect scope
    product TEXT,
    owner TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);

CREATE TABLE problem_cases (
    problem_id INTEGER NOT NULL REFERENCES problems(id),
    feedback_id INTEGER NOT NULL REFERENCES feedback(id),
    added_by TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (problem_id, feedback_id)
);
CREATE INDEX problem_cases_feedback ON problem_cases(feedback_id);

-- A root-cause analysis of one case or one problem.
CREATE TABLE root_causes (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER REFERENCES feedback(id),
    problem_id INTEGER REFERENCES problems(id),
    whys TEXT NOT NULL,          -- JSON array of strings: why 1, why 2, ... in order
    fishbone TEXT NOT NULL CHECK (fishbone IN
        ('man', 'machine', 'material', 'method', 'environment', 'measurement')),
    summary TEXT,
    verified_by TEXT,
    verified_at INTEGER,
    evidence TEXT,               -- JSON array of strings (links, file names, notes)
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (feedback_id IS NOT NULL OR problem_id IS NOT NULL)
);
CREATE INDEX root_causes_feedback ON root_causes(feedback_id);
CREATE INDEX root_causes_problem ON root_causes(problem_id);

CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT,
    type TEXT NOT NULL CHECK (type IN ('immediate', 'corrective', 'preventive', 'improvement')),
    term TEXT NOT NULL CHECK (term IN ('short', 'long')),
    owner TEXT,
    due_at INTEGER,
    start_at INTEGER NOT NULL,   -- when the action took effect: the evaluation's split point
    metric TEXT NOT NULL DEFAULT 'complaint_rate', -- complaint_rate, repeat_rate, reopen_rate, csat
    target REAL,                 -- expected relative change, e.g. -0.3 = 30 % fewer
    status TEXT NOT NULL DEFAULT 'open', -- open, in_progress, done, closed, cancelled
    category TEXT,
    product TEXT,
    problem_id INTEGER REFERENCES problems(id),
    feedback_id INTEGER REFERENCES feedback(id),
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER,
    reminded_at INTEGER,         -- the reminder before the due date went out
    escalated_at INTEGER,        -- the overdue escalation went out
    verdict TEXT,                -- of the last evaluation
    evaluated_at INTEGER,
    recurrence_at INTEGER,       -- complaints came back after an effective verdict
    recurrence_checked_at INTEGER
);
CREATE INDEX actions_problem ON actions(problem_id);
CREATE INDEX actions_due ON actions(due_at) WHERE status IN ('open', 'in_progress');

CREATE TABLE action_evaluations (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id),
    at INTEGER NOT NULL,
    evaluated_by TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('effective', 'not_yet', 'not_effective')),
    result TEXT NOT NULL         -- JSON: windows, metrics, tests
);
CREATE INDEX action_evaluations_action ON action_evaluations(action_id, at);

-- An optional denominator for complaint rates (orders, shipments, devices sold) per day;
-- product '' is the whole business. When none covers a window, total complaint volume is used.
CREATE TABLE volume_denominators (
    day TEXT NOT NULL,           -- YYYY-MM-DD
    product TEXT NOT NULL DEFAULT '',
    value REAL NOT NULL,
    PRIMARY KEY (day, product)
);

CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,          -- the solution template, plain text
    category TEXT,               -- matches feedback category_l1..3
    tags TEXT,                   -- JSON array of keywords
    status TEXT NOT NULL DEFAULT 'published', -- draft, published, archived
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles(category);
