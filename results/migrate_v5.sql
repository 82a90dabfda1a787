-- Schema version 5: measured machine peaks (sorabench calibrate), applied after
-- migrate_v4.sql to new databases and to older files alike, in one transaction.
--   calibration: one row per probe, memory level and thread count of one calibration
--                (calib_id), with every repetition's rate.

CREATE TABLE calibration (
    calib_id    TEXT NOT NULL,              -- random 128-bit, hex: one sorabench calibrate
    host_id     TEXT NOT NULL REFERENCES host(host_id),
    build_id    TEXT NOT NULL REFERENCES build(build_id),
    measured_at TEXT NOT NULL,              -- ISO 8601 UTC
    emulated    INTEGER NOT NULL,           -- 1: an emulated CPU; the rates are not performance
    probe       TEXT NOT NULL,              -- fma.f32.avx2, triad.f32.avx512, ... (kernels/peak.c)
    kind        TEXT NOT NULL CHECK (kind IN ('compute', 'bandwidth')),
    dtype       TEXT NOT NULL,              -- f32, bf16, int8
    isa         TEXT NOT NULL,
    level       TEXT NOT NULL,              -- 'core' for compute; L1, L2, L3 or DRAM
    bytes       INTEGER NOT NULL,           -- working set per thread, bytes; 0 for compute
    threads     INTEGER NOT NULL,
    pus         TEXT,                       -- PUs each worker ran on: "0;1"
    iters       INTEGER NOT NULL,           -- per thread per repetition: iterations or triads
    unit        TEXT NOT NULL,              -- GFLOP/s, GOP/s (INT8) or GB/s
    median      REAL NOT NULL,              -- of the repetitions' rates, all threads together
    best        REAL NOT NULL,              -- the fastest repetition's rate
    mad         REAL NOT NULL,              -- median absolute deviation of the rates
    samples     TEXT NOT NULL,              -- JSON array: every repetition's rate, in order
    PRIMARY KEY (calib_id, probe, level, threads)
) STRICT;
