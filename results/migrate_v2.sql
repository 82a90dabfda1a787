-- Schema version 2: hardware and software counters (the perf and papi
-- collectors), applied after schema.sql to new databases and to version 1
-- files alike, in one transaction.
--   counter: the native event each alias counted; one row per collector and
--            name (perf and papi may count the same alias in one case).
--   collector_use: which collectors measured a case, what their
--            start/stop/read costs (ns, median), or why one could not be used.
--   metric_def: the derived metrics a run asked for (from its event groups), as
--            SQLite expressions over the aliases, so reports need only the file.

CREATE TABLE counter_v2 (
    case_id   INTEGER NOT NULL REFERENCES "case"(case_id) ON DELETE CASCADE,
    rep       INTEGER NOT NULL,
    collector TEXT NOT NULL,                -- time, rusage, perf, papi
    name      TEXT NOT NULL,                -- alias: cycles, page_faults, rusage.max_rss
    event     TEXT,                         -- native event: perf::CYCLES; NULL for built-ins
    unit      TEXT NOT NULL,
    value     REAL,                         -- NULL unless status = 'counted'; scaled by enabled/running
    status    TEXT NOT NULL CHECK (status IN ('counted', 'unavailable', 'unknown')),
    reason    TEXT,                         -- why not counted
    mux_ratio REAL,                         -- time running / time enabled (1: never multiplexed)
    PRIMARY KEY (case_id, rep, collector, name)
) STRICT;
INSERT INTO counter_v2(case_id, rep, collector, name, event, unit, value, status, reason, mux_ratio)
    SELECT case_id, rep, collector, name, NULL, unit, value, status, reason, mux_ratio FROM counter;
DROP TABLE counter;
ALTER TABLE counter_v2 RENAME TO counter;

CREATE TABLE collector_use (
    case_id     INTEGER NOT NULL REFERENCES "case"(case_id) ON DELETE CASCADE,
    collector   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('used', 'unavailable')),
    reason      TEXT,                       -- why unavailable
    overhead_ns REAL,                       -- median cost of one start + stop + read, ns
    PRIMARY KEY (case_id, collector)
) STRICT;

CREATE TABLE metric_def (
    run_id TEXT NOT NULL REFERENCES run(run_id) ON DELETE CASCADE,
    grp    TEXT NOT NULL,                   -- zen4.core, software.software
    name   TEXT NOT NULL,                   -- ipc
    expr   TEXT NOT NULL,                   -- instructions / cycles
    PRIMARY KEY (run_id, grp, name)
) STRICT;
