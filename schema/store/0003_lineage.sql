-- Schema version 3: lineage. What every run read and wrote, the versions of
-- values and files, materialized artifacts, and flags on outputs.
--
-- A *version* is an output row: a run wrote (assigned, mutated in place, or
-- saved to a file) a value with a given fingerprint. An input row links to the
-- version it read through `source_io_id`, so the upstream trace of any value is
-- a walk input -> source output -> its run -> that run's inputs -> ...
-- (recursive CTEs in src/queries/lineage.ts).

-- The static analysis of the code (plumbline/analysis), stored once per code
-- snapshot: JSON {"reads": [...], "writes": [...], "mutations": [...],
-- "deletes": [...], "imports": [...], "definitions": [...], "error": null}.
ALTER TABLE code_snapshots ADD COLUMN analysis TEXT;

-- Materialized values, content-addressed by fingerprint hash, deduplicated.
CREATE TABLE artifacts (
  hash TEXT PRIMARY KEY,             -- the value's fingerprint content hash
  path TEXT NOT NULL,                -- relative to the store's folder (.plumbline/)
  format TEXT NOT NULL CHECK (format IN ('parquet', 'npy', 'joblib', 'pickle')),
  type TEXT NOT NULL,                -- qualified type name of the value
  size_bytes INTEGER NOT NULL,       -- of the file
  created_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE run_io (
  -- '<run id>/<in|out>/<var|file>/<name>': unique per run, known to the kernel
  -- before the row is written, so inputs can point at outputs still in flight.
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id),
  direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
  kind TEXT NOT NULL CHECK (kind IN ('variable', 'file')),
  name TEXT NOT NULL,                -- variable name, or file path (relative to the project when inside it)
  how TEXT NOT NULL CHECK (how IN ('read', 'assigned', 'mutated', 'written')),
  type TEXT,                         -- qualified type name (files: 'file')
  value_hash TEXT,                   -- fingerprint / file content hash; NULL when unhashable
  strategy TEXT,                     -- how value_hash was computed: 'full', 'sampled: ...', 'unhashable: ...'
  shape TEXT,                        -- JSON array, e.g. [1000, 12]
  columns TEXT,                      -- JSON [[name, dtype], ...] for frames
  size_bytes INTEGER,
  row_count INTEGER,                 -- first dimension of frames and arrays, len() of sized values
  source_io_id TEXT,                 -- inputs: the output (version) read; NULL: came from outside
  artifact_hash TEXT,                -- outputs: materialized copy (artifacts.hash)
  artifact_note TEXT,                -- outputs: why a materialization was skipped or failed
  created_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX run_io_by_run ON run_io (run_id, direction);
CREATE INDEX run_io_by_source ON run_io (source_io_id) WHERE source_io_id IS NOT NULL;
CREATE INDEX run_io_by_name ON run_io (kind, name, direction, created_at);
CREATE INDEX run_io_by_seq ON run_io (seq);
-- Each cell's latest run (graph, staleness, badges) from the index alone.
CREATE INDEX runs_by_cell ON runs (notebook_path, cell_id, started_at);
CREATE INDEX artifacts_by_seq ON artifacts (seq);

-- A user's verdict that an output is wrong. Never deleted (the change feed only
-- upserts): clearing a flag sets cleared_at.
CREATE TABLE flags (
  io_id TEXT PRIMARY KEY REFERENCES run_io (id),
  note TEXT,
  flagged_at REAL NOT NULL,
  cleared_at REAL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX flags_by_seq ON flags (seq);

CREATE TRIGGER artifacts_seq_insert AFTER INSERT ON artifacts BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE artifacts SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER run_io_seq_insert AFTER INSERT ON run_io BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE run_io SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER run_io_seq_update AFTER UPDATE ON run_io
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE run_io SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER flags_seq_insert AFTER INSERT ON flags BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE flags SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER flags_seq_update AFTER UPDATE ON flags
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE flags SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
-- code_snapshots rows are immutable except for the analysis filled in once.
CREATE TRIGGER code_snapshots_seq_update AFTER UPDATE ON code_snapshots
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE code_snapshots SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
