-- Schema version 4: regression checks (sorabench check), applied after
-- migrate_v3.sql to new databases and to older files alike, in one transaction.
--   baseline: one check of a run against a baseline run, the limits it used
--            and its outcome.
--   verdict:  the check's finding on each case of the baseline, joined to the
--            run's case with the same case key and kernel choice.

CREATE TABLE baseline (
    check_id    INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES run(run_id) ON DELETE CASCADE,      -- the run checked
    baseline_id TEXT NOT NULL REFERENCES run(run_id) ON DELETE CASCADE,      -- what it is held to
    threshold   REAL NOT NULL,              -- fraction: 0.05 flags slowdowns above 5%
    level       REAL NOT NULL,              -- confidence level of the intervals, 0.95
    checked_at  TEXT NOT NULL,              -- ISO 8601 UTC
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'regression', 'incomplete'))
) STRICT;

CREATE TABLE verdict (
    check_id         INTEGER NOT NULL REFERENCES baseline(check_id) ON DELETE CASCADE,
    baseline_case_id INTEGER NOT NULL REFERENCES "case"(case_id) ON DELETE CASCADE,
    case_id          INTEGER REFERENCES "case"(case_id) ON DELETE CASCADE,   -- NULL: missing
    ratio            REAL,                  -- run time / baseline time (Hodges-Lehmann)
    lo               REAL,                  -- its confidence interval
    hi               REAL,
    verdict          TEXT NOT NULL CHECK (verdict IN ('slower', 'faster', 'same', 'undecided',
                                                      'missing')),
    PRIMARY KEY (check_id, baseline_case_id)
) STRICT;
