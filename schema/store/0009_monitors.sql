-- Schema version 9: model monitors (plumbline.monitor): estimated and realized
-- performance per window, and the triggers that ask for a retraining run.
--
-- The raw predictions and labels live in Parquet files beside the store
-- (<store folder>/monitors/<id>/), with the window aggregates they add up to:
-- the browser downloads the whole store as its replica's snapshot, and ten
-- million predictions would not belong in it. The store keeps what the panels
-- show: one row per monitor and one per window, computed in Python
-- (plumbline/monitoring/monitor.py) and replicated to the browser.
CREATE TABLE monitors (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('classification', 'regression')),
  "window" TEXT NOT NULL,            -- as the user gave it: '1D', '10000 rows'
  window_kind TEXT NOT NULL CHECK (window_kind IN ('time', 'rows')),
  notebook TEXT,                     -- the notebook that created it (NULL: a script or a pipeline task)
  primary_metric TEXT NOT NULL,
  metrics TEXT NOT NULL,             -- JSON list
  estimators TEXT NOT NULL,          -- JSON list
  reference TEXT NOT NULL,           -- JSON: rows, calibration, reference metrics
  folder TEXT NOT NULL,              -- relative to the store's folder: monitors/<id>
  predictions INTEGER NOT NULL DEFAULT 0,
  labels INTEGER NOT NULL DEFAULT 0,
  unknown_feedback INTEGER NOT NULL DEFAULT 0,
  alerts INTEGER NOT NULL DEFAULT 0, -- windows with an alert
  status TEXT NOT NULL DEFAULT 'no data'
    CHECK (status IN ('no data', 'ok', 'alert', 'concept_drift')),
  messages TEXT NOT NULL DEFAULT '[]',  -- JSON list of {level, message}
  triggers TEXT NOT NULL DEFAULT '[]',  -- JSON list (the panel's view of monitor_triggers)
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX monitors_by_seq ON monitors (seq);

-- One row per window: the panel's per-window object (series), cumulative
-- included. window_index orders the windows (a time window's start in
-- seconds since the epoch, or a row window's number), not 0..n-1.
CREATE TABLE monitor_windows (
  monitor_id TEXT NOT NULL REFERENCES monitors (id),
  window_index INTEGER NOT NULL,
  label TEXT NOT NULL,
  start TEXT,
  "end" TEXT,
  predictions INTEGER NOT NULL,
  labels INTEGER NOT NULL,
  alert INTEGER NOT NULL DEFAULT 0,
  concept_drift INTEGER NOT NULL DEFAULT 0,
  series TEXT NOT NULL,              -- JSON: the payload's window object
  updated_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (monitor_id, window_index)
);

CREATE INDEX monitor_windows_by_seq ON monitor_windows (seq);

-- What may start a promoted pipeline: a monitor alert, a drift alert on a
-- component's output, or N new labelled rows; never more often than the
-- cooldown, and by default only after someone approves the request in the
-- Pipelines panel.
CREATE TABLE monitor_triggers (
  id TEXT PRIMARY KEY,
  monitor_id TEXT NOT NULL REFERENCES monitors (id),
  pipeline TEXT NOT NULL,            -- the pipeline's name
  on_event TEXT NOT NULL CHECK (on_event IN ('alert', 'drift', 'labels')),
  labels INTEGER,                    -- on 'labels': this many new labelled rows
  component TEXT,                    -- on 'drift': the component whose drifted output fires it
  cooldown_seconds REAL NOT NULL,
  approval INTEGER NOT NULL DEFAULT 1,
  labels_at_last_fire INTEGER NOT NULL DEFAULT 0,
  last_fired_at REAL,
  created_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,
  UNIQUE (monitor_id, pipeline, on_event)
);

CREATE INDEX monitor_triggers_by_seq ON monitor_triggers (seq);
CREATE INDEX monitor_triggers_by_component ON monitor_triggers (component) WHERE on_event = 'drift';

CREATE TABLE trigger_requests (
  id TEXT PRIMARY KEY,
  trigger_id TEXT NOT NULL REFERENCES monitor_triggers (id),
  monitor_id TEXT NOT NULL REFERENCES monitors (id),
  pipeline TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('awaiting approval', 'started', 'dismissed', 'failed')),
  pipeline_run_id TEXT,              -- pipeline_runs.id once started
  message TEXT,
  created_at REAL NOT NULL,
  decided_at REAL,
  seq INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX trigger_requests_by_seq ON trigger_requests (seq);
CREATE INDEX trigger_requests_by_status ON trigger_requests (status);

CREATE TRIGGER monitors_seq_insert AFTER INSERT ON monitors BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE monitors SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER monitors_seq_update AFTER UPDATE ON monitors
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE monitors SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER monitor_windows_seq_insert AFTER INSERT ON monitor_windows BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE monitor_windows SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER monitor_windows_seq_update AFTER UPDATE ON monitor_windows
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE monitor_windows SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER monitor_triggers_seq_insert AFTER INSERT ON monitor_triggers BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE monitor_triggers SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER monitor_triggers_seq_update AFTER UPDATE ON monitor_triggers
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE monitor_triggers SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER trigger_requests_seq_insert AFTER INSERT ON trigger_requests BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE trigger_requests SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER trigger_requests_seq_update AFTER UPDATE ON trigger_requests
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE trigger_requests SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
