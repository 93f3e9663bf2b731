-- Schema version 5: an input names the run that produced the value it read;
-- check results say `when` like check specs do; artifacts replicate updates.
--
-- Until now readers parsed the run id out of `source_io_id`
-- ('<run id>/out/...'), because the source's own run_io row may still be in
-- flight when the input is written. The kernel knows the run, so it says it.

ALTER TABLE run_io ADD COLUMN source_run_id TEXT;

UPDATE run_io SET source_run_id = substr(source_io_id, 1, instr(source_io_id, '/out/') - 1)
  WHERE source_io_id IS NOT NULL AND instr(source_io_id, '/out/') > 0;

-- One word for "before or after the component's cells", as check specs, the
-- dialog and the Python API say it. (A keyword: quote it in SQL.)
ALTER TABLE check_results RENAME COLUMN phase TO "when";

-- Every replicated table tells the browser of updates too (a test checks it):
-- artifacts had only its insert trigger.
CREATE TRIGGER artifacts_seq_update AFTER UPDATE ON artifacts
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE artifacts SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
