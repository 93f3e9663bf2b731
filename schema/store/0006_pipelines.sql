-- Schema version 6: pipelines promoted from notebooks, their runs and task runs,
-- and the scheduler's lease.
--
-- A pipeline is files plus rows: `pipelines/<name>/pipeline.json` (the spec,
-- validated on every load) and its generated task modules are the definition;
-- the `pipelines` row registers it with the scheduler and mirrors what the
-- Pipelines panel shows (schedule, next fire time, paused). Deleting a pipeline
-- sets `deleted_at`: its runs, task runs and lineage stay, and the name can be
-- promoted again (the unique name index only covers live pipelines).
--
-- Exactly one run per (pipeline, fire slot): `pipeline_runs.slot` is the slot's
-- instant (Unix seconds, UTC) for scheduled and backfill runs, backed by
-- UNIQUE (pipeline_id, slot); the scheduler inserts the run (the intent) before
-- it launches anything, with INSERT ... ON CONFLICT DO NOTHING, so two
-- schedulers, a restart or a backfill never run a slot twice. Manual runs have
-- no slot; Airflow's runs are keyed by Airflow's own run id (`external_id`).

CREATE TABLE pipelines (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  folder TEXT NOT NULL,               -- project-relative: pipelines/<name>
  notebook_path TEXT NOT NULL,        -- project-relative, as runs name notebooks
  spec_hash TEXT NOT NULL,            -- sha256 of pipeline.json as Plumbline last wrote it
  cron TEXT,                          -- NULL: runs only when asked (manual, backfill, Airflow)
  timezone TEXT NOT NULL DEFAULT 'UTC',
  catchup TEXT NOT NULL DEFAULT 'latest' CHECK (catchup IN ('none', 'latest', 'all')),
  catchup_limit INTEGER NOT NULL DEFAULT 10,
  max_active_runs INTEGER NOT NULL DEFAULT 1,
  paused INTEGER NOT NULL DEFAULT 0,
  cursor REAL,                        -- the last fire slot the scheduler has dealt with (Unix s)
  next_fire_at REAL,                  -- the next slot after the cursor, for the panel
  tasks TEXT NOT NULL DEFAULT '[]',   -- JSON [{"name": ..., "upstream": [...]}], for the runs x tasks grid
  environment TEXT,                   -- JSON {"python": ..., "packages": {...}} at promotion
  problem TEXT,                       -- why the scheduler cannot run it now (e.g. a corrupt spec)
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  deleted_at REAL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX pipelines_by_name ON pipelines (name) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_by_seq ON pipelines (seq);

CREATE TABLE pipeline_runs (
  id TEXT PRIMARY KEY,
  pipeline_id TEXT NOT NULL REFERENCES pipelines (id),
  trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'backfill', 'airflow')),
  slot INTEGER,                       -- the fire slot (Unix s, UTC) of scheduled and backfill runs
  external_id TEXT,                   -- Airflow's dag run id
  logical_date REAL NOT NULL,         -- Airflow's meaning: the slot (= data_interval_end)
  data_interval_start REAL NOT NULL,
  data_interval_end REAL NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',  -- JSON: parameter overrides of this run
  status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'ok', 'error')),
  spec_hash TEXT,
  owner TEXT,                         -- the runner executing it: '<host>:<pid>:<token>'
  heartbeat_at REAL,
  error TEXT,
  environment_diff TEXT,              -- JSON {"python": [promoted, ran], "packages": {name: [promoted, ran]}}
  created_at REAL NOT NULL,
  started_at REAL,
  ended_at REAL,
  seq INTEGER NOT NULL DEFAULT 0,
  UNIQUE (pipeline_id, slot)
);

CREATE UNIQUE INDEX pipeline_runs_by_external ON pipeline_runs (pipeline_id, external_id)
  WHERE external_id IS NOT NULL;
CREATE INDEX pipeline_runs_by_pipeline ON pipeline_runs (pipeline_id, created_at);
CREATE INDEX pipeline_runs_by_status ON pipeline_runs (status) WHERE status IN ('queued', 'running');
CREATE INDEX pipeline_runs_by_seq ON pipeline_runs (seq);

-- One task of one pipeline run. Attempts (retries) share the row; each attempt
-- is its own task process, hence its own kernel session and its own cell runs
-- (runs.task_run_id). A reused task ran no code: `reused_from` names the task
-- run whose outputs it took.
CREATE TABLE task_runs (
  id TEXT PRIMARY KEY,
  pipeline_run_id TEXT NOT NULL REFERENCES pipeline_runs (id),
  pipeline_id TEXT NOT NULL REFERENCES pipelines (id),
  task TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'up_for_retry', 'ok', 'reused', 'error', 'upstream_failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 1,
  code_hash TEXT,                     -- the task's code as pinned in the spec
  reuse_key TEXT,                     -- code hash + input fingerprints + parameters it read
  reused_from TEXT,
  kernel_session TEXT,                -- the last attempt's task process
  hostname TEXT,
  pid INTEGER,
  pid_started TEXT,                   -- the process's start time, so a reused pid is not mistaken for it
  started_at REAL,
  ended_at REAL,
  duration_ms REAL,
  error_name TEXT,
  error_value TEXT,
  log_path TEXT,                      -- relative to the store's folder
  inputs TEXT NOT NULL DEFAULT '{}',  -- JSON {variable: {"hash": ..., "task_run": ...}}
  outputs TEXT NOT NULL DEFAULT '{}', -- JSON {variable: {"uri", "format", "type", "hash", "io_id", "run_id", ...}}
  environment TEXT,                   -- JSON, as the task process saw it
  environment_diff TEXT,
  seq INTEGER NOT NULL DEFAULT 0,
  UNIQUE (pipeline_run_id, task)
);

CREATE INDEX task_runs_by_run ON task_runs (pipeline_run_id);
CREATE INDEX task_runs_by_reuse ON task_runs (pipeline_id, task, reuse_key) WHERE reuse_key IS NOT NULL;
CREATE INDEX task_runs_by_seq ON task_runs (seq);

-- Each recorded cell run of a task process names its task run, so the runs
-- sidebar and the lineage graph show trigger and pipeline. The task process's
-- session carries it; Store.start_run copies it onto every run of the session.
ALTER TABLE kernel_sessions ADD COLUMN task_run_id TEXT;
ALTER TABLE runs ADD COLUMN task_run_id TEXT;
CREATE INDEX runs_by_task_run ON runs (task_run_id) WHERE task_run_id IS NOT NULL;

-- Exactly one scheduler fires slots at a time: it holds this lease and renews
-- it; another one takes over only after `expires_at`. Not replicated.
CREATE TABLE scheduler_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  owner TEXT NOT NULL,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  acquired_at REAL NOT NULL,
  expires_at REAL NOT NULL
);

CREATE TRIGGER pipelines_seq_insert AFTER INSERT ON pipelines BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE pipelines SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER pipelines_seq_update AFTER UPDATE ON pipelines
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE pipelines SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER pipeline_runs_seq_insert AFTER INSERT ON pipeline_runs BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE pipeline_runs SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER pipeline_runs_seq_update AFTER UPDATE ON pipeline_runs
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE pipeline_runs SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER task_runs_seq_insert AFTER INSERT ON task_runs BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE task_runs SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER task_runs_seq_update AFTER UPDATE ON task_runs
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE task_runs SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
