"""What the live kernel says about the variables a promotion would send between tasks.

The promote dialog runs, in the notebook's kernel (a silent execute)::

    __import__("plumbline.pipelines.probe", fromlist=["crossing"]).crossing(["flights", "model"], ["pandas"])

and passes the JSON-able answer as ``kernel`` to ``POST /plumbline/promote/preview``. For each variable:
its type, the artifact format it would be stored in, whether it can be stored at all (tried:
Parquet on the first rows of a frame, cloudpickle for the rest, stopped after ``PICKLE_PROBE_BYTES``),
and — from the recorder — whether its value changed since the run that recorded it (an alias or a
function mutated it in place) and which cells read it since. Also the Python version and the
versions of the packages ``imports`` names (the environment recorded at promotion).

Nothing here runs on a cell's path: it is called only when the dialog asks.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable, Optional

PICKLE_PROBE_BYTES = 32 << 20
FRAME_PROBE_ROWS = 1000


class _Enough(Exception):
    pass


class _CountingSink:
    def __init__(self, limit: int):
        self.size, self.limit = 0, limit

    def write(self, data) -> int:
        n = memoryview(data).nbytes
        self.size += n
        if self.size > self.limit:
            raise _Enough()
        return n


def _storable(value: Any, fmt: str) -> Optional[str]:
    """None if ``value`` can be stored in ``fmt`` (or the pickle fallback); else why not."""
    if fmt == "parquet":
        try:
            import pyarrow as pa

            pa.Table.from_pandas(value.head(FRAME_PROBE_ROWS))
            return None
        except Exception:  # noqa: BLE001 - the frame falls back to pickle: try that
            pass
    if fmt == "npy":
        return None
    try:
        import cloudpickle

        cloudpickle.dump(value, _CountingSink(PICKLE_PROBE_BYTES), protocol=5)
    except _Enough:
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def crossing(names: Iterable[str], imports: Iterable[str] = ()) -> dict:
    from ..artifacts import _type_name, format_of, uncrossable
    from ..kernel import recorder as current_recorder
    from .compiler import environment_of

    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # noqa: BLE001
        shell = None
    ns = shell.user_ns if shell is not None else sys.modules["__main__"].__dict__
    rec = current_recorder()
    variables: dict[str, dict] = {}
    for name in names:
        if not isinstance(name, str):
            continue
        if name not in ns:
            variables[name] = {"present": False, "type": None, "format": None, "ok": None, "error": None}
            continue
        value = ns[name]
        type_name = _type_name(value)
        fmt = format_of(value)
        error = "a value tied to this process (a generator, lock, connection, open file) cannot be stored" \
            if uncrossable(type_name) else _storable(value, fmt)
        entry = {"present": True, "type": type_name, "format": fmt, "ok": error is None, "error": error,
                 "changed_since_recorded": False, "read_by_cells": []}
        if rec is not None:
            entry.update(_since_recorded(rec, name, value))
        variables[name] = entry
    env = environment_of(imports)
    return {"python": env["python"], "packages": env["packages"], "variables": variables}


def _since_recorded(rec: Any, name: str, value: Any) -> dict:
    """Did the value change after the run that recorded it, and which cells read it since?"""
    from ..fingerprint import fingerprint

    version = rec.lineage.tracker.get(name, value)
    if version is None or version.io_id is None or not version.fingerprint.content_hash:
        return {}
    if "sampled" in (version.fingerprint.strategy or ""):
        return {}
    now = fingerprint(value)
    changed = now.content_hash != version.fingerprint.content_hash
    readers: list[str] = []
    if changed:
        rec.sync()
        store = rec.store
        if store is not None:
            rows = store._read("SELECT DISTINCT r.cell_id FROM run_io io JOIN runs r ON r.id = io.run_id "
                               "WHERE io.source_io_id = ? AND io.direction = 'input' ORDER BY r.started_at",
                               (version.io_id,))
            readers = [r["cell_id"] for r in rows if r["cell_id"]]
    return {"changed_since_recorded": changed, "read_by_cells": readers}
