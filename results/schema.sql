-- sorabench database schema, version 1, the base of every database.
-- Embedded in the binary (results/embed.py); applied to a new database in one
-- transaction together with the migrations (migrate_v2.sql, ...), then
-- PRAGMA user_version = the latest version. A version 1 file gets only the
-- migrations. This file never changes; changes are new migrations. Text keys ("f32", "ref", "layer")
-- are stored, never enum numbers. Every raw repetition is kept; summaries are
-- computed from samples when reporting.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
INSERT INTO meta(key, value) VALUES('application', 'sorabench');

-- One row per distinct host state (the record of design section 5).
CREATE TABLE host (
    host_id             TEXT PRIMARY KEY,   -- FNV-1a of the record JSON
    record              TEXT NOT NULL,      -- the whole record, JSON
    hostname            TEXT,
    arch                TEXT,               -- uname machine: x86_64, aarch64
    cpu_vendor          TEXT,
    cpu_brand           TEXT,
    cpu_family          INTEGER,
    cpu_model           INTEGER,
    midr                TEXT,
    uarch               TEXT,               -- zen4, neoverse-v1, ...; NULL if unknown
    isa                 TEXT,               -- comma-separated feature keys
    sve_bits            INTEGER,
    packages            INTEGER,
    cores               INTEGER,
    pus                 INTEGER,
    numa_nodes          INTEGER,
    l1d_bytes           INTEGER,
    l2_bytes            INTEGER,
    l3_bytes            INTEGER,
    mem_bytes           INTEGER,
    kernel              TEXT,
    os                  TEXT,
    governor            TEXT,
    thp                 TEXT,
    perf_event_paranoid INTEGER,
    virtualization      TEXT,
    instance_type       TEXT,
    emulated            INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE build (
    build_id   TEXT PRIMARY KEY,            -- FNV-1a of the record JSON
    record     TEXT NOT NULL,
    version    TEXT,
    git        TEXT,                        -- git describe --dirty
    git_dirty  INTEGER,
    compiler   TEXT,
    buildtype  TEXT,
    sanitize   TEXT,
    isas       TEXT,                        -- kernel ISAs compiled in
    collectors TEXT,
    providers  TEXT
) STRICT;

CREATE TABLE run (
    run_id      TEXT PRIMARY KEY,           -- random 128-bit, hex
    host_id     TEXT NOT NULL REFERENCES host(host_id),
    build_id    TEXT NOT NULL REFERENCES build(build_id),
    started_at  TEXT NOT NULL,              -- ISO 8601 UTC
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    argv        TEXT NOT NULL,              -- JSON array
    env         TEXT NOT NULL,              -- JSON object of result-changing knobs
    seed        INTEGER NOT NULL,
    emulated    INTEGER NOT NULL DEFAULT 0, -- timings are not performance
    config      TEXT NOT NULL               -- JSON: the sweep as asked
) STRICT;

CREATE TABLE "case" (
    case_id      INTEGER PRIMARY KEY,
    run_id       TEXT NOT NULL REFERENCES run(run_id) ON DELETE CASCADE,
    case_key     TEXT NOT NULL,             -- canonical key, joins runs in compare
    kernel_choice TEXT NOT NULL,            -- 'auto' (registry's choice) or a kernel named by --kernel
    workload     TEXT NOT NULL,             -- layer, block, step
    model        TEXT NOT NULL,
    res          TEXT NOT NULL,
    aspect       TEXT NOT NULL,
    dur          TEXT NOT NULL,
    batch        INTEGER NOT NULL,
    layer        TEXT NOT NULL,             -- catalog name; the workload name for block/step
    op           TEXT,
    variant      TEXT NOT NULL,
    dtype        TEXT NOT NULL,
    fused        INTEGER NOT NULL,
    kernel       TEXT,                      -- kernel that ran (main op)
    isa          TEXT,
    shape        TEXT,
    m            INTEGER,
    n            INTEGER,
    k            INTEGER,
    flops        REAL NOT NULL,             -- per iteration
    bytes        REAL NOT NULL,             -- per iteration, minimum traffic
    threads      INTEGER NOT NULL,
    pin          TEXT NOT NULL,
    pus          TEXT,                      -- PUs each worker ran on: "0;1"
    warmup_iters INTEGER NOT NULL,
    warmup_ns    INTEGER NOT NULL,
    inner_iters  INTEGER NOT NULL,          -- iterations per sample
    reps         INTEGER NOT NULL,
    setup_ns     INTEGER NOT NULL,          -- allocation, weights, packing (untimed)
    mem_bytes    REAL,                      -- buffers + weights allocated
    finished_at  TEXT NOT NULL,
    UNIQUE (run_id, case_key, kernel_choice)
) STRICT;

-- One row per repetition: ns for inner_iters iterations.
CREATE TABLE sample (
    case_id INTEGER NOT NULL REFERENCES "case"(case_id) ON DELETE CASCADE,
    rep     INTEGER NOT NULL,
    ns      INTEGER NOT NULL,
    iters   INTEGER NOT NULL,
    PRIMARY KEY (case_id, rep)
) STRICT;

-- Nodes of a block or step case, in execution order.
CREATE TABLE node (
    case_id  INTEGER NOT NULL REFERENCES "case"(case_id) ON DELETE CASCADE,
    idx      INTEGER NOT NULL,
    layer    TEXT NOT NULL,
    block    INTEGER,                       -- block pair index; NULL at top level
    op       TEXT NOT NULL,
    kernel   TEXT NOT NULL,
    flops    REAL NOT NULL,
    bytes    REAL NOT NULL,
    PRIMARY KEY (case_id, idx)
) STRICT;

-- Time of each node in each repetition (ns for inner_iters iterations).
CREATE TABLE node_sample (
    case_id INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    rep     INTEGER NOT NULL,
    ns      INTEGER NOT NULL,
    PRIMARY KEY (case_id, idx, rep),
    FOREIGN KEY (case_id, idx) REFERENCES node(case_id, idx) ON DELETE CASCADE
) STRICT;

-- Collector values per repetition. value is NULL unless status = 'counted'.
CREATE TABLE counter (
    case_id   INTEGER NOT NULL REFERENCES "case"(case_id) ON DELETE CASCADE,
    rep       INTEGER NOT NULL,
    collector TEXT NOT NULL,
    name      TEXT NOT NULL,
    unit      TEXT NOT NULL,
    value     REAL,
    status    TEXT NOT NULL CHECK (status IN ('counted', 'unavailable', 'unknown')),
    reason    TEXT,
    mux_ratio REAL,
    PRIMARY KEY (case_id, rep, name)
) STRICT;

-- Error of a case's output against the FP32 reference kernels on the same
-- inputs; a row for every case whose kernels are not all the reference.
-- status 'unavailable' (with reason) when the reference could not be run.
CREATE TABLE accuracy (
    case_id   INTEGER PRIMARY KEY REFERENCES "case"(case_id) ON DELETE CASCADE,
    reference TEXT NOT NULL,                -- what it was compared with: 'f32 ref kernels'
    status    TEXT NOT NULL CHECK (status IN ('measured', 'unavailable')),
    reason    TEXT,
    elements  INTEGER,                      -- output elements compared
    rel_l2    REAL,                         -- ||out - ref|| / ||ref||
    max_abs   REAL,
    cosine    REAL
) STRICT;

CREATE INDEX case_run ON "case"(run_id);
CREATE INDEX case_key ON "case"(case_key);
