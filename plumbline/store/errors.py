"""Errors of the lineage store, each phrased to tell the user what to do."""


class StoreError(Exception):
    """The lineage store cannot be used as it is."""


class StoreVersionError(StoreError):
    """The store was written by a newer Plumbline than this one."""


class StoreCorruptError(StoreError):
    """The file at the store path is not a readable SQLite database."""


class StoreLockedError(StoreError):
    """Another process held the store's write lock for longer than the timeout."""
