-- 0011: insight. Daily rollups maintained in the writer's transaction (intake and PATCH),
-- order denominators, report schedules and the reports written.

-- One row per local day x dimension x value: dim is a field name (channel, category_l1, ...),
-- "all" (key ''), "hour" (key '00'..'23', the local hour received) or a pair "a|b" whose key
-- is "value_a<US>value_b" (US = 0x1f). A missing value is ''. n counts records received that
-- day; neg those with sentiment negative; dup those that are duplicates of an earlier one.
CREATE TABLE stats_daily (
    dim TEXT NOT NULL,
    day INTEGER NOT NULL,            -- local days since 1970-01-01
    key TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    neg INTEGER NOT NULL DEFAULT 0,
    dup INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, day, key)
) WITHOUT ROWID;

-- Orders per day (kesu import --denominator), overall (dim '' key '') or per dimension value.
CREATE TABLE stats_orders (
    day INTEGER NOT NULL,
    dim TEXT NOT NULL DEFAULT '',
    key TEXT NOT NULL DEFAULT '',
    orders INTEGER NOT NULL,
    PRIMARY KEY (day, dim, key)
) WITHOUT ROWID;

-- Report schedules run by kesu serve; last_due is the last due time handled (unix seconds),
-- so a restart never runs the same occurrence twice.
CREATE TABLE report_schedules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    cron TEXT NOT NULL,
    period TEXT NOT NULL,            -- day, week, month
    format TEXT NOT NULL,            -- html, xlsx
    enabled INTEGER NOT NULL DEFAULT 1,
    last_due INTEGER,
    created_at INTEGER NOT NULL
);

-- Reports written (by a schedule or on demand).
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    day0 INTEGER NOT NULL,           -- first local day covered
    day1 INTEGER NOT NULL,           -- last local day covered
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    schedule_id INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
