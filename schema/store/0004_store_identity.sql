-- Plumbline lineage store, schema version 4: the store's identity.
--
-- A browser may keep its replica between page loads and then ask only for the
-- changes since its cursor; the identity (with PRAGMA user_version) tells it
-- whether the server still has the same store, and not one replaced at the
-- same path or migrated since. Not replicated: it travels in the snapshot.

CREATE TABLE store_identity (
  id TEXT NOT NULL
);
INSERT INTO store_identity (id) VALUES (lower(hex(randomblob(16))));
