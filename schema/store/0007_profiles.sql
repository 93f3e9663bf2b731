-- Schema version 7: monitoring. Profiles of component outputs and drift verdicts.
--
-- A profile (plumbline/monitoring/profiles.py) summarizes one output of one
-- run: per column counts, moments, a lattice histogram and sketches. Its bytes
-- live in a file beside the store (<store folder>/profiles/<sha256>.profile):
-- the browser downloads the whole store as its replica's snapshot, and
-- profiles would make it grow with every run. This table is not replicated.
CREATE TABLE profiles (
  io_id TEXT PRIMARY KEY,            -- the output (run_io.id) profiled
  run_id TEXT NOT NULL REFERENCES runs (id),
  name TEXT NOT NULL,                -- the output's variable name
  component_id INTEGER REFERENCES components (id),
  rows INTEGER NOT NULL,
  columns INTEGER NOT NULL,
  hash TEXT NOT NULL,                -- sha256 of the file
  path TEXT NOT NULL,                -- relative to the store's folder: profiles/<hash>.profile
  size_bytes INTEGER NOT NULL,
  format_version INTEGER NOT NULL,
  created_at REAL NOT NULL
);

CREATE INDEX profiles_by_run ON profiles (run_id);
CREATE INDEX profiles_by_component ON profiles (component_id, name, created_at);

-- One verdict per profiled output of a component run: did it drift from the
-- component's reference (drift.reference in the component metadata: 'first',
-- 'previous' or a pinned run)? Replicated: the component badge reads it.
CREATE TABLE drift_verdicts (
  io_id TEXT PRIMARY KEY,            -- the output judged (profiles.io_id)
  run_id TEXT NOT NULL REFERENCES runs (id),
  name TEXT NOT NULL,
  component_id INTEGER REFERENCES components (id),
  reference_io_id TEXT,              -- the output compared with; NULL: none yet (the first run)
  reference_run_id TEXT,
  policy TEXT NOT NULL CHECK (policy IN ('first', 'previous', 'pinned')),
  status TEXT NOT NULL CHECK (status IN ('drift', 'ok', 'schema', 'not judged', 'reference', 'error')),
  message TEXT,
  columns INTEGER NOT NULL DEFAULT 0,
  judged INTEGER NOT NULL DEFAULT 0,
  drifted INTEGER NOT NULL DEFAULT 0,
  schema_changes INTEGER NOT NULL DEFAULT 0,
  drifted_share REAL,
  worst_column TEXT,                 -- the column a badge names: the most severe drifted (or retyped) one
  worst_measure TEXT,
  worst_value REAL,
  worst_threshold REAL,
  multivariate REAL,                 -- mean PCA reconstruction error; NULL: not computed
  multivariate_threshold REAL,
  multivariate_reference REAL,       -- its held-out reference value
  multivariate_drift INTEGER,
  expected_false_alarms REAL,
  rows INTEGER,
  reference_rows INTEGER,
  created_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX drift_verdicts_by_run ON drift_verdicts (run_id);
CREATE INDEX drift_verdicts_by_component ON drift_verdicts (component_id, name, created_at);
CREATE INDEX drift_verdicts_by_seq ON drift_verdicts (seq);

-- Per column of a verdict: the measure (history sparklines, the REST panel). Not replicated.
CREATE TABLE drift_columns (
  io_id TEXT NOT NULL REFERENCES drift_verdicts (io_id),
  "column" TEXT NOT NULL,
  position INTEGER NOT NULL,         -- the panel's order (severity, predictions first)
  kind TEXT,
  role TEXT,
  status TEXT NOT NULL,
  measure TEXT,
  value REAL,
  threshold REAL,
  null_change REAL,
  contribution REAL,                 -- share of the multivariate error increase
  message TEXT,
  PRIMARY KEY (io_id, "column")
);

CREATE TRIGGER drift_verdicts_seq_insert AFTER INSERT ON drift_verdicts BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE drift_verdicts SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER drift_verdicts_seq_update AFTER UPDATE ON drift_verdicts
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE drift_verdicts SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
