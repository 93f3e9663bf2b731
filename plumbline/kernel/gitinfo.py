"""Git commit and dirtiness of the folder a notebook runs in.

The commit is read from the ``.git`` files directly (microseconds, exact);
``git status`` takes milliseconds, so dirtiness is computed on a worker
thread that coalesces requests and reports back through a callback.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Optional


def find_git_dir(start: Path) -> Optional[Path]:
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text("utf-8", "replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:"):].strip())
                return (folder / target).resolve() if not target.is_absolute() else target
    return None


def read_head_commit(git_dir: Path) -> Optional[str]:
    try:
        head = (git_dir / "HEAD").read_text("utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head[len("ref:"):].strip()
    common = _common_dir(git_dir)
    for base in (git_dir, common):
        try:
            return (base / ref).read_text("utf-8").strip() or None
        except OSError:
            pass
    try:
        for line in (common / "packed-refs").read_text("utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        pass
    return None  # a repository with no commit yet


def _common_dir(git_dir: Path) -> Path:
    try:
        rel = (git_dir / "commondir").read_text("utf-8").strip()
        return (git_dir / rel).resolve()
    except OSError:
        return git_dir


class GitProbe:
    """Commit (synchronous) and dirty state (asynchronous) of one working tree.

    ``git status`` costs milliseconds to tens of milliseconds in a large
    repository and competes with the kernel for the CPU, so it runs at most
    once per ``min_interval`` seconds; every run requested meanwhile gets the
    next result, i.e. the tree's state at most ``min_interval`` after it started.
    """

    min_interval = 2.0

    def __init__(self, start: Path):
        self.git_dir = find_git_dir(start.resolve())
        self.work_tree = self.git_dir.parent if self.git_dir and self.git_dir.name == ".git" else start
        self._pending: list[str] = []
        self._cond = threading.Condition()
        self._worker: Optional[threading.Thread] = None
        self._on_dirty: Optional[Callable[[list[str], Optional[bool]], None]] = None

    def commit(self) -> Optional[str]:
        return read_head_commit(self.git_dir) if self.git_dir else None

    def request_dirty(self, run_id: str, on_dirty: Callable[[list[str], Optional[bool]], None]) -> None:
        """Queue ``run_id``; ``on_dirty(run_ids, dirty)`` is called from the worker."""
        if not self.git_dir:
            return
        with self._cond:
            self._on_dirty = on_dirty
            self._pending.append(run_id)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="plumbline-git", daemon=True)
                self._worker.start()
            self._cond.notify()

    def _work(self) -> None:
        last_started = float("-inf")
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
            wait = last_started + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # let requests gather: one status for all of them
            with self._cond:
                batch, self._pending = self._pending, []
                callback = self._on_dirty
            last_started = time.monotonic()
            dirty = self._status_dirty()
            if callback:
                try:
                    callback(batch, dirty)
                except Exception:
                    pass  # recording must never disturb the user's kernel

    def _status_dirty(self) -> Optional[bool]:
        try:
            out = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=self.work_tree,
                capture_output=True,
                timeout=30,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return bool(out.strip())
