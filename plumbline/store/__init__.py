"""The lineage store (SQLite): schema migrations, writes, replication reads."""

from .errors import StoreCorruptError, StoreError, StoreLockedError, StoreVersionError
from .location import default_store_path, resolve_store_path
from .models import ArtifactRecord, CheckRecord, ComponentInfo, IORecord, KernelSession, RunEnd, RunStart, io_id
from .store import REPLICATED_TABLES, Store, code_hash

__all__ = [
    "ArtifactRecord",
    "IORecord",
    "io_id",
    "CheckRecord",
    "ComponentInfo",
    "REPLICATED_TABLES",
    "KernelSession",
    "RunEnd",
    "RunStart",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "code_hash",
    "default_store_path",
    "resolve_store_path",
]
