-- Schema version 8: per-value dependencies, and what each kernel holds.
--
-- 1. An output depends on the inputs its own assignment read, not on every
--    input of its cell: `FEATURES = [...]` in a cell that reads `flights`
--    depends on nothing (plumbline/analysis/dependencies.py). `depends_on` is a
--    JSON array of the ids of the run's input rows the value was made from;
--    NULL: not known (a file output, a name bound by exec or %run, a row from
--    before this version), which readers take as "all the run's inputs".
ALTER TABLE run_io ADD COLUMN depends_on TEXT;

-- 2. Which recorded version each name of a kernel holds, as of the end of the
--    latest cell that changed it: one row per (kernel session, name), updated
--    in place. The browser compares a component's outputs with what the
--    notebook's current kernel session holds (staleness: a restarted kernel
--    holds nothing, a re-run upstream cell may have re-created a value).
--    `io_id` NULL: the name holds a value no recorded run made (bound by a
--    silent execute or a callback), or was deleted (`deleted` = 1).
CREATE TABLE kernel_bindings (
  kernel_session TEXT NOT NULL REFERENCES kernel_sessions (id),
  name TEXT NOT NULL,
  io_id TEXT,                        -- the output (run_io.id) the name holds
  changed_by TEXT,                   -- the run at whose end (or start) the name changed
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (kernel_session, name)
);

CREATE INDEX kernel_bindings_by_seq ON kernel_bindings (seq);
CREATE INDEX kernel_bindings_by_io ON kernel_bindings (io_id) WHERE io_id IS NOT NULL;

CREATE TRIGGER kernel_bindings_seq_insert AFTER INSERT ON kernel_bindings BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE kernel_bindings SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER kernel_bindings_seq_update AFTER UPDATE ON kernel_bindings
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE kernel_bindings SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
