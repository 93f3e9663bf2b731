"""Profile files: ``<store folder>/profiles/<sha256>.profile``, content-addressed, written atomically.

Profiles are kept beside the store, not in it: the browser's replica downloads
the whole store as a snapshot, and profiles (a few KB per column) would make
it grow with every run. The store keeps one row per profile (``profiles``,
schema/store/0007) naming its file; the server reads files through
``read`` only, which refuses any path but a profile file inside the store's folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

FOLDER = "profiles"
SUFFIX = ".profile"
_NAME = re.compile(r"^profiles/[0-9a-f]{64}\.profile$")


def write(store_dir: str | os.PathLike, data: bytes) -> tuple[str, str]:
    """Keep ``data`` once; returns (path relative to the store's folder, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{FOLDER}/{digest}{SUFFIX}"
    target = Path(store_dir) / relative
    if target.is_file() and target.stat().st_size == len(data):
        return relative, digest
    atomic_write(target, data)
    return relative, digest


def atomic_write(target: Path, data: bytes) -> None:
    """``data`` at ``target``, written to a temporary name and renamed: a crash leaves the old file or none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def read(store_dir: str | os.PathLike, relative: str) -> bytes:
    """The bytes of a profile file the store names (``FileNotFoundError`` when it is gone)."""
    if not isinstance(relative, str) or not _NAME.match(relative):
        raise ValueError(f"not a profile file name: {relative!r}")
    folder = Path(store_dir).resolve()
    path = (folder / relative).resolve()
    if path.parent != folder / FOLDER:
        raise ValueError(f"a profile path outside the store's folder: {relative!r}")
    return path.read_bytes()


def load(store_dir: str | os.PathLike, relative: str):
    from .profiles import Profile

    return Profile.from_bytes(read(store_dir, relative))
