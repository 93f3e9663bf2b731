"""Where the lineage store lives: one rule for the server, kernels and tasks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

ENV_VAR = "PLUMBLINE_DB"
STORE_DIR = ".plumbline"
STORE_FILE = "lineage.db"


def default_store_path(root: str | os.PathLike) -> Path:
    return Path(root).expanduser().resolve() / STORE_DIR / STORE_FILE


def resolve_store_path(explicit: Optional[str] = None, cwd: Optional[str] = None) -> Path:
    """The store path: explicit > $PLUMBLINE_DB > the nearest .plumbline folder upward > ./.plumbline.

    Kernels started by the Jupyter server inherit PLUMBLINE_DB from it; the
    upward search lets a headless run (nbclient in a sub-folder) find the
    project's store instead of starting a second one.
    """
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env).expanduser().resolve()
    start = Path(cwd or os.getcwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / STORE_DIR).is_dir():  # the project's root holds .plumbline/
            return folder / STORE_DIR / STORE_FILE
    return default_store_path(start)


def path_in_project(path: str | os.PathLike, store_path: Path) -> str:
    """How runs name a notebook: relative to the project root (the folder holding
    .plumbline/, as JupyterLab's paths are relative to the server root), else absolute."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(store_path.parent.parent).as_posix()
    except ValueError:
        return str(absolute)
