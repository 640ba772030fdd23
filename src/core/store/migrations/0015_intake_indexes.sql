-- 0015: cheaper intake. The open-case indexes of 0009 held every open record, including the
-- many with no assignee or team yet (every new record): each insert paid two index inserts
-- that no query reads (all of them ask for one assignee or one team, "assignee=?" or
-- "team=?", which implies the column is not NULL, so SQLite still picks these indexes).
DROP INDEX feedback_assignee_open;
DROP INDEX feedback_team_open;
CREATE INDEX feedback_assignee_open ON feedback(assignee)
    WHERE assignee IS NOT NULL AND status NOT IN ('closed','closed_unaccepted');
CREATE INDEX feedback_team_open ON feedback(team)
    WHERE team IS NOT NULL AND status NOT IN ('closed','closed_unaccepted');
