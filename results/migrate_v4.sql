-- Schema version 4: regression checks (sorabench check), applied after
-- migrate_v3.sql to new databases and to older files alike, in one transaction.
--   baseline:  one check of runs against baseline runs, the limits it used and
--              its outcome.
--   check_run: the runs of a check, each in its role.
--   verdict:   the check's finding on each case of the (first) baseline run,
--              named by case key and kernel choice.

CREATE TABLE baseline (
    check_id    INTEGER PRIMARY KEY,
    unit        TEXT NOT NULL CHECK (unit IN ('repetition', 'run')),  -- what one observation is
    threshold   REAL NOT NULL,              -- fraction: 0.05 flags slowdowns above 5%
    level       REAL NOT NULL,              -- confidence level of the intervals, 0.95
    checked_at  TEXT NOT NULL,              -- ISO 8601 UTC
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'regression', 'incomplete'))
) STRICT;

CREATE TABLE check_run (
    check_id INTEGER NOT NULL REFERENCES baseline(check_id) ON DELETE CASCADE,
    run_id   TEXT NOT NULL REFERENCES run(run_id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('baseline', 'run')),
    PRIMARY KEY (check_id, run_id)
) STRICT;

CREATE TABLE verdict (
    check_id      INTEGER NOT NULL REFERENCES baseline(check_id) ON DELETE CASCADE,
    case_key      TEXT NOT NULL,
    kernel_choice TEXT NOT NULL,
    ratio         REAL,                     -- run time / baseline time (Hodges-Lehmann)
    lo            REAL,                     -- its confidence interval
    hi            REAL,
    verdict       TEXT NOT NULL CHECK (verdict IN ('slower', 'faster', 'same', 'undecided',
                                                   'missing')),
    PRIMARY KEY (check_id, case_key, kernel_choice)
) STRICT;
