-- Plumbline lineage store, schema version 4: the store's identity.
--
-- A browser may keep its replica between page loads and then ask only for the
-- changes since its cursor; the identity (with PRAGMA user_version) tells it
-- whether the server still has the same store, and not another one, or one
-- migrated since. `path` is where the store was when the id was made: a store
-- copied elsewhere (a copied project, a template) gets a new id when opened
-- there (plumbline/store/store.py). Not replicated: it travels in the snapshot.

CREATE TABLE store_identity (
  id TEXT NOT NULL,
  path TEXT
);
INSERT INTO store_identity (id, path) VALUES (lower(hex(randomblob(16))), NULL);

-- A renamed notebook's check results can move to another component row
-- (Store.move_notebook); the replica learns of it through seq like any update.
CREATE TRIGGER check_results_seq_update AFTER UPDATE ON check_results
  WHEN NEW.seq = OLD.seq BEGIN
  UPDATE store_seq SET value = value + 1 WHERE id = 1;
  UPDATE check_results SET seq = (SELECT value FROM store_seq WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;
