"""The lineage store (SQLite): schema migrations, writes, replication reads."""

from .errors import (
    RecordError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
    StoreUnavailableError,
    StoreVersionError,
)
from .feed import REPLICATED_TABLES
from .location import default_store_path, resolve_store_path
from .models import ArtifactRecord, Binding, CheckRecord, ComponentInfo, IORecord, KernelSession, RunEnd, RunStart, io_id
from .monitoring import DriftColumnRecord, DriftRecord, ProfileRecord
from .runs import code_hash
from .store import Store

__all__ = [
    "ArtifactRecord",
    "Binding",
    "CheckRecord",
    "ComponentInfo",
    "DriftColumnRecord",
    "DriftRecord",
    "IORecord",
    "KernelSession",
    "ProfileRecord",
    "REPLICATED_TABLES",
    "RecordError",
    "RunEnd",
    "RunStart",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreFullError",
    "StoreLockedError",
    "StoreReadOnlyError",
    "StoreUnavailableError",
    "StoreVersionError",
    "code_hash",
    "default_store_path",
    "io_id",
    "resolve_store_path",
]
