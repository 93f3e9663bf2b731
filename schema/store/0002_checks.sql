-- Schema version 2: results of component checks (before/after tests).
--
-- One row per check per run. `details` keeps what the next run of the same
-- check compares against (e.g. freshness: latest timestamp and row count).

CREATE TABLE check_results (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id),
  component_id INTEGER REFERENCES components (id),
  spec_id TEXT NOT NULL,
  name TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('before', 'after')),
  status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error')),
  on_fail TEXT NOT NULL DEFAULT 'warn' CHECK (on_fail IN ('warn', 'block')),
  message TEXT,
  details TEXT NOT NULL DEFAULT '{}',   -- JSON object
  duration_ms REAL,
  created_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX check_results_by_run ON check_results (run_id);
CREATE INDEX check_results_by_component ON check_results (component_id, spec_id, created_at);
CREATE INDEX check_results_by_seq ON check_results (seq);

CREATE TRIGGER check_results_seq_insert AFTER INSERT ON check_results BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE check_results SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
