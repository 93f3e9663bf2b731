"""Values crossing from one pipeline task (process) to the next, in the type-aware formats of this package.

A location is a local folder (default: ``<store folder>/artifacts``, shared
with materialized outputs, so :func:`plumbline.load` finds pipeline outputs
too) or an fsspec URL (``s3://bucket/plumbline``, ``file:///mnt/shared``...)
so that Airflow workers on other machines share it. Files are content-addressed
like materialized copies (``<hash[:2]>/<hash>.<ext>``): the same value written
twice is stored once, and a file, once written, is never rewritten.

Saving never half-fails silently: a value that cannot be stored raises
``ArtifactError`` naming the variable and its type; a full disk says so and
where; a partly written file is removed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pickle
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from . import EXTENSIONS, _type_name, format_of, write_stream


class ArtifactError(Exception):
    """A value could not be stored for (or loaded by) the next task; the message says which and what to do."""


@dataclass(frozen=True)
class ArtifactRef:
    uri: str  # local absolute path, or the fsspec URL
    format: str
    type: str
    size_bytes: int
    hash: str  # the value's content hash when exact, else the file's

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "ArtifactRef":
        return cls(uri=d["uri"], format=d["format"], type=d["type"], size_bytes=d["size_bytes"], hash=d["hash"])


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class Location:
    """Where a pipeline's artifacts live: a local folder or an fsspec URL."""

    def __init__(self, where: str | os.PathLike):
        text = str(where)
        self.description = text
        if "://" in text and not text.startswith("file://"):
            self.local: Optional[Path] = None
            self.url = text.rstrip("/")
        else:
            self.local = Path(text[len("file://"):] if text.startswith("file://") else text).expanduser().resolve()
            self.url = None

    def _fs(self):
        try:
            import fsspec
        except ImportError:  # pragma: no cover - fsspec is a dependency
            raise ArtifactError(f"The artifact location {self.url} is a URL, which needs fsspec: "
                                "pip install fsspec (and the filesystem's package, e.g. s3fs).") from None
        try:
            return fsspec.core.url_to_fs(self.url)
        except (ImportError, ValueError) as exc:
            raise ArtifactError(f"The artifact location {self.url} cannot be opened ({exc}); install the package "
                                "for its filesystem (e.g. s3fs for s3://) or use a local folder.") from None

    # -- writing -----------------------------------------------------------------

    def save(self, name: str, value: Any, content_hash: Optional[str] = None) -> ArtifactRef:
        """Store ``value`` (the variable ``name``); ArtifactError if it cannot be."""
        fmt = format_of(value)
        type_name = _type_name(value)
        try:
            return self._save(value, fmt, type_name, content_hash)
        except ArtifactError:
            raise
        except OSError as exc:
            if exc.errno in _FULL or self._nearly_full():
                raise ArtifactError(
                    f"The artifact location {self.description} is full: '{name}' ({type_name}) could not be "
                    f"written ({exc.strerror or exc}). Free space there, or set the pipeline's artifacts location "
                    "to another disk.") from None
            raise ArtifactError(f"'{name}' ({type_name}) could not be written to the artifact location "
                                f"{self.description}: {exc.strerror or exc}.") from None
        except Exception as exc:  # noqa: BLE001 - pickling errors come in many types
            raise ArtifactError(
                f"'{name}' ({type_name}) cannot cross to the next task: it cannot be stored "
                f"({type(exc).__name__}: {exc}). Create it in the task that uses it (move the code that makes "
                "it into that component), or turn it into data (a list, a frame) before the component ends.") from None

    def _save(self, value: Any, fmt: str, type_name: str, content_hash: Optional[str]) -> ArtifactRef:
        if content_hash:
            existing = self._existing(content_hash, fmt)
            if existing is not None:
                return ArtifactRef(uri=existing[0], format=fmt, type=type_name, size_bytes=existing[1],
                                   hash=content_hash)
        if self.local is not None:
            return self._save_local(value, fmt, type_name, content_hash)
        return self._save_remote(value, fmt, type_name, content_hash)

    def _nearly_full(self) -> bool:
        """numpy and pyarrow report a short write without errno: look at the disk itself."""
        if self.local is None:
            return False
        try:
            return shutil.disk_usage(self.local).free < (1 << 20)
        except OSError:
            return False

    def _final(self, digest: str, fmt: str) -> str:
        return f"{digest[:2]}/{digest}.{EXTENSIONS[fmt]}"

    def _existing(self, digest: str, fmt: str) -> Optional[tuple[str, int]]:
        rel = self._final(digest, fmt)
        if self.local is not None:
            path = self.local / rel
            return (str(path), path.stat().st_size) if path.is_file() else None
        fs, root = self._fs()
        path = f"{root}/{rel}"
        return (f"{self.url}/{rel}", fs.size(path)) if fs.exists(path) else None

    def _save_local(self, value: Any, fmt: str, type_name: str, content_hash: Optional[str]) -> ArtifactRef:
        self.local.mkdir(parents=True, exist_ok=True)
        tmp = self.local / f".tmp-{os.getpid()}-{time.monotonic_ns()}.{EXTENSIONS[fmt]}"
        try:
            fmt = _write_with_fallback(value, fmt, lambda: open(tmp, "wb"), lambda: tmp.unlink(missing_ok=True))
            digest = content_hash or _file_hash(tmp)
            final = self.local / self._final(digest, fmt)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.is_file():
                tmp.unlink()
            else:
                os.replace(tmp, final)
            return ArtifactRef(uri=str(final), format=fmt, type=type_name, size_bytes=final.stat().st_size,
                               hash=digest)
        finally:
            tmp.unlink(missing_ok=True)

    def _save_remote(self, value: Any, fmt: str, type_name: str, content_hash: Optional[str]) -> ArtifactRef:
        fs, root = self._fs()
        tmp = f"{root}/.tmp-{os.getpid()}-{time.monotonic_ns()}.{EXTENSIONS[fmt]}"
        try:
            fmt = _write_with_fallback(value, fmt, lambda: fs.open(tmp, "wb"), lambda: _rm(fs, tmp))
            with fs.open(tmp, "rb") as f:
                digest = content_hash or _stream_hash(f)
            rel = self._final(digest, fmt)
            final = f"{root}/{rel}"
            if fs.exists(final):
                _rm(fs, tmp)
            else:
                fs.mv(tmp, final)
            return ArtifactRef(uri=f"{self.url}/{rel}", format=fmt, type=type_name, size_bytes=fs.size(final),
                               hash=digest)
        finally:
            _rm(fs, tmp)

    # -- reading -----------------------------------------------------------------

    def load(self, name: str, ref: ArtifactRef) -> Any:
        """The value of ``ref``; ArtifactError (which variable, which file) if it cannot be read."""
        try:
            if self.url is not None and ref.uri.startswith(self.url):
                fs, root = self._fs()
                with fs.open(f"{root}{ref.uri[len(self.url):]}", "rb") as f:
                    return read_stream(f, ref.format)
            with open(ref.uri, "rb") as f:
                return read_stream(f, ref.format)
        except FileNotFoundError:
            raise ArtifactError(f"The stored value of '{name}' ({ref.type}) is missing: {ref.uri} was deleted or "
                                "moved. Run the pipeline again from the task that writes it.") from None
        except Exception as exc:  # noqa: BLE001
            raise ArtifactError(f"The stored value of '{name}' ({ref.type}) at {ref.uri} cannot be read "
                                f"({type(exc).__name__}: {exc}); is the package that made it installed here?") from None

    def exists(self, ref: ArtifactRef) -> bool:
        try:
            if self.url is not None and ref.uri.startswith(self.url):
                fs, root = self._fs()
                return fs.exists(f"{root}{ref.uri[len(self.url):]}")
            return Path(ref.uri).is_file()
        except Exception:  # noqa: BLE001
            return False


def _write_with_fallback(value: Any, fmt: str, open_file, discard) -> str:
    """Write in ``fmt``; a frame Parquet cannot hold (e.g. int column names) falls back to pickle."""
    try:
        with open_file() as f:
            write_stream(value, fmt, f)
        return fmt
    except OSError:
        raise
    except Exception:
        if fmt not in ("parquet", "npy"):
            raise
    discard()
    with open_file() as f:
        write_stream(value, "pickle", f)
    return "pickle"


def read_stream(f: Any, fmt: str) -> Any:
    if fmt == "parquet":
        import pandas as pd

        return pd.read_parquet(f, engine="pyarrow")
    if fmt == "npy":
        import numpy as np

        return np.load(f, allow_pickle=False)
    if fmt == "joblib":
        import joblib

        return joblib.load(f)
    if fmt == "pickle":
        return pickle.load(f)
    raise ValueError(f"Unknown artifact format {fmt!r}")


def _rm(fs: Any, path: str) -> None:
    try:
        if fs.exists(path):
            fs.rm(path)
    except Exception:  # noqa: BLE001
        pass


def _file_hash(path: Path) -> str:
    with open(path, "rb") as f:
        return _stream_hash(f)


def _stream_hash(f: Any) -> str:
    h = hashlib.blake2b(digest_size=16)
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()
