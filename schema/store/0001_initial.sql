-- Plumbline lineage store, schema version 1.
--
-- This folder is the only home of the store's DDL. Python (plumbline/store)
-- applies these files in order as forward migrations and records the version
-- in PRAGMA user_version; the browser never creates tables, it opens a
-- snapshot the server serialized and then applies row changes.
--
-- Replication: every replicated table has a `seq` column that triggers set
-- from the single counter in `store_seq` on every insert and update, so the
-- browser asks for "rows with seq > my cursor" instead of re-downloading.
-- Times are Unix epoch seconds (REAL), durations are milliseconds.

CREATE TABLE store_seq (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO store_seq (id, value) VALUES (1, 0);

-- Code as executed, content-addressed (sha256 of the UTF-8 source), so that
-- identical cells across runs, notebooks and pipelines are stored once.
CREATE TABLE code_snapshots (
  hash TEXT PRIMARY KEY,
  code TEXT NOT NULL,
  created_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0
);

-- One process that executes cells: an interactive kernel or a headless task.
CREATE TABLE kernel_sessions (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT 'kernel' CHECK (kind IN ('kernel', 'task')),
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  python_version TEXT,
  plumbline_version TEXT,
  started_at REAL NOT NULL,
  ended_at REAL,
  seq INTEGER NOT NULL DEFAULT 0
);

-- A named unit of a notebook (one or more consecutive tagged cells). The
-- definition lives in the notebook metadata; this row is what lineage joins to.
CREATE TABLE components (
  id INTEGER PRIMARY KEY,
  notebook_path TEXT NOT NULL,
  name TEXT NOT NULL,
  owner TEXT,
  description TEXT,
  tags TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,
  UNIQUE (notebook_path, name)
);

-- One execution of one cell. Written with status 'running' when the cell
-- starts and completed when it ends, so a killed kernel leaves evidence.
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  notebook_path TEXT,
  cell_id TEXT,
  component_id INTEGER REFERENCES components (id),
  component_name TEXT,
  code_hash TEXT NOT NULL REFERENCES code_snapshots (hash),
  execution_count INTEGER,
  kernel_session TEXT NOT NULL REFERENCES kernel_sessions (id),
  started_at REAL NOT NULL,
  ended_at REAL,
  duration_ms REAL,
  status TEXT NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'ok', 'error', 'interrupted')),
  error_name TEXT,
  error_value TEXT,
  git_commit TEXT,
  git_dirty INTEGER,                 -- 1 dirty, 0 clean, NULL not a repository / unknown
  notes TEXT,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX runs_by_notebook ON runs (notebook_path, started_at);
CREATE INDEX runs_by_component ON runs (component_id, started_at);
CREATE INDEX runs_by_status ON runs (status) WHERE status = 'running';
CREATE INDEX runs_by_seq ON runs (seq);
CREATE INDEX code_snapshots_by_seq ON code_snapshots (seq);
CREATE INDEX kernel_sessions_by_seq ON kernel_sessions (seq);
CREATE INDEX components_by_seq ON components (seq);

-- Change counter triggers, one pair per replicated table.
CREATE TRIGGER code_snapshots_seq_insert AFTER INSERT ON code_snapshots BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE code_snapshots SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER kernel_sessions_seq_insert AFTER INSERT ON kernel_sessions BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE kernel_sessions SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER kernel_sessions_seq_update AFTER UPDATE ON kernel_sessions
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE kernel_sessions SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER components_seq_insert AFTER INSERT ON components BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE components SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER components_seq_update AFTER UPDATE ON components
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE components SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER runs_seq_insert AFTER INSERT ON runs BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE runs SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER runs_seq_update AFTER UPDATE ON runs
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE runs SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
