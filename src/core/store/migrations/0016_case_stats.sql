-- 0016: case rollups. The handling, SLA and staff figures read these instead of scanning the
-- records; the writer keeps them in the same transaction as every change of a case (see
-- store/case_stats.c).

-- What each record counts now in stats_cases, so that a change can take exactly that away
-- before it adds what the record counts after it. day: local day received; assignee and team
-- (NULL: none); flags: the STATS_CF_* bits of store/db.h; ack, res, hand: acknowledgement,
-- resolution and handling time in ms (-1: none).
CREATE TABLE stats_case_view (
    feedback_id INTEGER PRIMARY KEY,
    day INTEGER NOT NULL,
    assignee TEXT,
    team TEXT,
    flags INTEGER NOT NULL,
    ack INTEGER NOT NULL,
    res INTEGER NOT NULL,
    hand INTEGER NOT NULL
);

-- One row per local day x dimension x value x metric: dim is "all" (key ''), "assignee",
-- "team" (assigned cases only) or "assignee_team" (key "assignee<US>team", metric 0 only);
-- metric is a STATS_CM_* number (store/db.h): counts in n, and for times the sum of ms in s;
-- metrics 100.. and 600.. are the histogram buckets of acknowledgement and resolution times.
CREATE TABLE stats_cases (
    dim TEXT NOT NULL,
    day INTEGER NOT NULL,
    key TEXT NOT NULL,
    metric INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    s INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, day, key, metric)
) WITHOUT ROWID;

-- Whether the case rollups cover every record: not in a store that had records before this
-- migration, until `kesu stats rebuild`; the endpoints scan the records until then.
CREATE TABLE stats_state (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO stats_state(name, value)
    SELECT 'cases_built', CASE WHEN EXISTS (SELECT 1 FROM feedback) THEN 0 ELSE 1 END;
