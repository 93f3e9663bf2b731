"""Materialized values: one content-addressed copy per content, in a type-aware format.

The one home of the artifact formats, for the recorder (``plumbline.materialize``
components), :func:`plumbline.load` and the pipeline runner (``exchange.py``:
values crossing between tasks, in a local folder or at an fsspec URL):

===========================  =========  ====================================
value                        format     file
===========================  =========  ====================================
pandas DataFrame             parquet    ``.parquet`` (pyarrow); a frame Parquet
                                        cannot hold (e.g. non-string column
                                        names) falls back to pickle
numpy ndarray                npy        ``.npy`` (``allow_pickle=False``);
                                        object arrays fall back to pickle
scikit-learn estimators      joblib     ``.joblib``
(``get_params`` and ``fit``)
anything else                pickle     ``.pkl``, cloudpickle when installed
                                        (notebook-defined classes/functions
                                        by value), else pickle
===========================  =========  ====================================

Files live at ``<store folder>/artifacts/<hash[:2]>/<hash>.<ext>``, are written
atomically (temporary file, then rename) and never rewritten. The size cap is
``PLUMBLINE_ARTIFACT_MAX_BYTES`` (default 1 GiB); above it nothing is kept and
the reason is returned as a note.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..store.models import ArtifactRecord

MAX_BYTES_ENV = "PLUMBLINE_ARTIFACT_MAX_BYTES"
DEFAULT_MAX_BYTES = 1 << 30
EXTENSIONS = {"parquet": "parquet", "npy": "npy", "joblib": "joblib", "pickle": "pkl"}


class TooLarge(Exception):
    pass


def max_bytes() -> int:
    try:
        return int(os.environ.get(MAX_BYTES_ENV, DEFAULT_MAX_BYTES))
    except ValueError:
        return DEFAULT_MAX_BYTES


def human_size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f}".rstrip("0").rstrip(".") + f" {unit}"
        n /= 1024
    raise AssertionError


def too_large_note(size: int, cap: int) -> str:
    return (f"not materialized: {human_size(size)} is above the cap of {human_size(cap)}; "
            f"set {MAX_BYTES_ENV} to keep larger values")


def format_of(value: Any) -> str:
    t = type(value)
    module = t.__module__ or ""
    if module.startswith("pandas") and t.__name__ == "DataFrame":
        return "parquet"
    if module == "numpy" and t.__name__ == "ndarray" and not value.dtype.hasobject:
        return "npy"
    if callable(getattr(t, "get_params", None)) and callable(getattr(t, "fit", None)):
        return "joblib"
    return "pickle"


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class _CappedFile:
    """A binary file that refuses to grow past the cap (pickle/joblib stream into it)."""

    def __init__(self, f, cap: int):
        self.f, self.cap, self.size = f, cap, 0

    def write(self, data) -> int:
        self.size += memoryview(data).nbytes
        if self.size > self.cap:
            raise TooLarge(self.size)
        return self.f.write(data)

    def __getattr__(self, name: str) -> Any:  # tell, seek... (joblib aligns its arrays)
        return getattr(self.f, name)


def _write(value: Any, fmt: str, path: Path, cap: int) -> None:
    if fmt == "parquet":
        value.to_parquet(path, engine="pyarrow")
        return
    with open(path, "wb") as f:
        write_stream(value, fmt, _CappedFile(f, cap))


def write_stream(value: Any, fmt: str, f: Any) -> None:
    """Write ``value`` in format ``fmt`` to the open binary file ``f`` (a local or an fsspec file)."""
    if fmt == "parquet":
        value.to_parquet(f, engine="pyarrow")
    elif fmt == "npy":
        import numpy as np

        np.save(f, value, allow_pickle=False)
    elif fmt == "joblib":
        import joblib

        joblib.dump(value, f)
    else:
        try:
            import cloudpickle as pickler
        except ImportError:  # pragma: no cover - cloudpickle is a dependency
            pickler = pickle
        pickler.dump(value, f, protocol=5)


def materialize(value: Any, content_hash: Optional[str], store_dir: Path, *, exact: bool = True,
                estimated_bytes: Optional[int] = None) -> tuple[Optional[ArtifactRecord], Optional[str]]:
    """Keep a copy of ``value``: (the artifact, None) or (None, why not). Never raises.

    ``content_hash`` names the copy when it identifies the whole content
    (``exact``); a sampled fingerprint does not, so the file's own hash does.
    """
    tmp = None
    try:
        cap = max_bytes()
        if estimated_bytes is not None and estimated_bytes > cap:
            return None, too_large_note(estimated_bytes, cap)
        fmt = format_of(value)
        folder = Path(store_dir) / "artifacts"
        ext = EXTENSIONS[fmt]
        if exact and content_hash:
            final = folder / content_hash[:2] / f"{content_hash}.{ext}"
            if final.is_file():
                return _record(content_hash, final, fmt, value, store_dir), None
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{os.getpid()}-{time.monotonic_ns()}.{ext}"
        try:
            _write(value, fmt, tmp, cap)
        except TooLarge as exc:
            return None, too_large_note(exc.args[0], cap)
        except Exception:
            if fmt not in ("parquet", "npy"):
                raise
            fmt, ext = "pickle", EXTENSIONS["pickle"]  # e.g. a frame with int column names
            tmp.unlink(missing_ok=True)
            try:
                _write(value, fmt, tmp, cap)
            except TooLarge as exc:
                return None, too_large_note(exc.args[0], cap)
        size = tmp.stat().st_size
        if size > cap:
            return None, too_large_note(size, cap)
        digest = content_hash if exact and content_hash else _file_hash(tmp)
        final = folder / digest[:2] / f"{digest}.{ext}"
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_file():
            tmp.unlink()
        else:
            os.replace(tmp, final)
        tmp = None
        return _record(digest, final, fmt, value, store_dir), None
    except Exception as exc:  # noqa: BLE001 - a value that cannot be kept is a note, not a failure
        return None, f"not materialized: {type(exc).__name__}: {exc}"
    finally:
        if tmp is not None:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


def _record(digest: str, path: Path, fmt: str, value: Any, store_dir: Path) -> ArtifactRecord:
    return ArtifactRecord(hash=digest, path=path.relative_to(store_dir).as_posix(), format=fmt,
                          type=_type_name(value), size_bytes=path.stat().st_size, created_at=time.time())


def _file_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def format_for_type(type_name: Optional[str]) -> str:
    """The format a value of this (qualified) type name would be kept in, before the value itself is seen.

    The pipeline compiler knows types from recorded lineage; :func:`format_of` decides
    on the value when it is written (an object-dtype array still falls back to pickle).
    """
    if not type_name:
        return "pickle"
    if type_name.startswith("pandas.") and type_name.endswith("DataFrame"):
        return "parquet"
    if type_name in ("numpy.ndarray",):
        return "npy"
    if type_name.startswith("sklearn.") or type_name.startswith("xgboost.") or type_name.startswith("lightgbm."):
        return "joblib"
    return "pickle"


#: Types whose values hold a process's resources and cannot cross into another process
#: (pickle refuses them, or would carry a dead handle): qualified names, and name endings.
UNCROSSABLE_TYPES = frozenset({
    "generator", "coroutine", "async_generator", "_thread.lock", "_thread.RLock", "threading.Thread",
    "threading.Lock", "threading.Condition", "threading.Event", "sqlite3.Connection", "sqlite3.Cursor",
    "socket.socket", "_io.TextIOWrapper", "_io.BufferedReader", "_io.BufferedWriter", "_io.FileIO",
    "multiprocessing.pool.Pool", "concurrent.futures.thread.ThreadPoolExecutor", "subprocess.Popen",
    "mmap.mmap", "frame", "module",
})


def uncrossable(type_name: Optional[str]) -> bool:
    return type_name in UNCROSSABLE_TYPES


def read(path: str | os.PathLike, fmt: str) -> Any:
    """The value kept in an artifact file."""
    if fmt == "parquet":
        import pandas as pd

        return pd.read_parquet(path, engine="pyarrow")
    if fmt == "npy":
        import numpy as np

        return np.load(path, allow_pickle=False)
    if fmt == "joblib":
        import joblib

        return joblib.load(path)
    if fmt == "pickle":
        with open(path, "rb") as f:
            return pickle.load(f)
    raise ValueError(f"Unknown artifact format {fmt!r}")
