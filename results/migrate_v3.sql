-- Schema version 3: when each repetition began, applied after migrate_v2.sql
-- to new databases and to older files alike, in one transaction.
--   sample.start_ns: the runner's clock (CLOCK_MONOTONIC_RAW, ns since an
--            arbitrary point, usually boot) when the repetition started.
--            Comparable only within one host and boot; it shows the order in
--            which repetitions ran (interleaved cases, drift over a sweep).
--            NULL for samples stored before version 3.

ALTER TABLE sample ADD COLUMN start_ns INTEGER;
