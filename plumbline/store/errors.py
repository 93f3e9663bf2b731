"""Errors of the lineage store, each phrased to tell the user what to do.

Two families, because a writer must treat them differently:

* ``StoreError``: the store cannot be used right now (locked, disk full,
  read-only, I/O error, corrupt, newer schema, cannot be created). Nothing is
  wrong with the record: keep it and write it again later.
* ``RecordError``: this one record can never be written (its content breaks
  a constraint, or it refers to a row that does not exist). Retrying cannot
  help; the writer drops it and says which record it was.
"""


class StoreError(Exception):
    """The lineage store cannot be used as it is."""


class StoreVersionError(StoreError):
    """The store was written by a newer Plumbline than this one."""


class StoreCorruptError(StoreError):
    """The file at the store path is not a readable SQLite database."""


class StoreLockedError(StoreError):
    """Another process held the store's write lock for longer than the timeout."""


class StoreFullError(StoreError):
    """The disk (or quota) holding the store is full."""


class StoreReadOnlyError(StoreError):
    """The store file or its folder cannot be written."""


class StoreUnavailableError(StoreError):
    """The store cannot be opened or written for another reason (I/O error, missing folder...)."""


class RecordError(Exception):
    """This record cannot be written, whatever the state of the store."""
