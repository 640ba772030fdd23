-- 0004: input that was refused (not stored), counted per day for the data-quality report.
CREATE TABLE intake_rejections (
    day TEXT NOT NULL,      -- YYYY-MM-DD in the configured zone
    channel TEXT NOT NULL,  -- '' when the input named none (or an unknown one)
    source TEXT NOT NULL,   -- api, import, hook, form
    code TEXT NOT NULL,     -- the error code, e.g. missing_field
    field TEXT NOT NULL,    -- the field it named, '' for none
    n INTEGER NOT NULL,
    PRIMARY KEY (day, channel, source, code, field)
);
