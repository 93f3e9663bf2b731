"""Starting, waiting for and stopping task processes: one process (and process group) per task attempt.

Two ways to start one, same contract:

* ``fork`` (default on Linux and macOS): a zygote (``zygote.py``), started once
  per runner process with IPython and the recorder imported, forks each task
  process, so a task does not pay for those imports again. The zygote is a
  clean single-threaded process of its own, never a fork of the (threaded)
  Jupyter server; each task gets the runner's environment of the moment.
* ``spawn``: ``python -m plumbline.pipelines.task`` — a cold interpreter.

Either way the task process leads its own process group (``setsid``), so a
timeout or a stop kills it *and everything it started* (``killpg``: SIGTERM,
then SIGKILL after a grace period), and no orphan outlives it. Its stdout and
stderr go to the task's log file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Optional

from ..store.liveness import pid_alive

KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL


class Zygote:
    """The runner's side of ``zygote.py``: fork requests out, pids and exit codes back."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-m", "plumbline.pipelines.zygote"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=None, close_fds=True, start_new_session=True)
        self._write = threading.Lock()
        self._state = threading.Condition()
        self._pids: dict[str, int] = {}
        self._exits: dict[int, int] = {}
        self._alive = True
        first = self._proc.stdout.readline()
        if not first or "ready" not in json.loads(first):
            raise RuntimeError("Plumbline's task zygote did not start; is plumbline installed in this Python?")
        threading.Thread(target=self._read, name="plumbline-zygote", daemon=True).start()

    def _read(self) -> None:
        for line in self._proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._state:
                if "token" in msg:
                    self._pids[msg["token"]] = msg["pid"]
                elif "exit" in msg:
                    self._exits[msg["exit"]] = msg["code"]
                self._state.notify_all()
        with self._state:
            self._alive = False
            self._state.notify_all()

    @property
    def alive(self) -> bool:
        return self._alive and self._proc.poll() is None

    def fork(self, request_path: str, log_path: str, preload: tuple = ()) -> int:
        token = uuid.uuid4().hex
        line = json.dumps({"token": token, "request": request_path, "log": log_path, "env": dict(os.environ),
                           "preload": list(preload)}) + "\n"
        with self._write:
            self._proc.stdin.write(line.encode("utf-8"))
            self._proc.stdin.flush()
        with self._state:
            if not self._state.wait_for(lambda: token in self._pids or not self._alive, 60):
                raise RuntimeError("Plumbline's task zygote did not fork a task within 60 s.")
            if token not in self._pids:
                raise RuntimeError("Plumbline's task zygote died.")
            return self._pids.pop(token)

    def wait(self, pid: int, timeout: Optional[float]) -> Optional[int]:
        with self._state:
            self._state.wait_for(lambda: pid in self._exits or not self._alive, timeout)
            if pid in self._exits:
                return self._exits.pop(pid)
        if not self._alive and not pid_alive(pid):
            return -signal.SIGKILL  # the zygote is gone and cannot tell; the process is gone too
        return None

    def close(self) -> None:
        try:
            self._proc.stdin.close()
            self._proc.wait(5)
        except Exception:  # noqa: BLE001
            pass


_zygote_lock = threading.Lock()
_zygote: Optional[Zygote] = None


def zygote() -> Zygote:
    global _zygote
    with _zygote_lock:
        if _zygote is None or not _zygote.alive:
            _zygote = Zygote()
        return _zygote


def default_method() -> str:
    return "fork" if hasattr(os, "fork") else "spawn"


def process_started(pid: int) -> Optional[str]:
    """The start time of a process (Linux: clock ticks since boot), to tell it from a later one with its pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def kill_group(pid: int, grace: float = KILL_GRACE, started: Optional[str] = None) -> None:
    """SIGTERM the process group ``pid`` leads, then SIGKILL what is left after ``grace`` seconds.

    With ``started``, only if ``pid`` is still the same process (not a later one with a reused pid).
    """
    if started is not None and process_started(pid) not in (started, None):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            try:
                os.kill(pid, sig)  # not a group leader (yet): at least the process itself
            except ProcessLookupError:
                return
        except PermissionError:
            return
        if sig == signal.SIGTERM:
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(pid):
                time.sleep(0.05)
            if not _group_alive(pid):
                return


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


class TaskProcess:
    """One running task attempt."""

    def __init__(self, request_path: Path, log_path: Path, method: Optional[str] = None, preload: tuple = ()):
        self.method = method or default_method()
        self.preload = tuple(preload)
        self._zygote: Optional[Zygote] = None
        self.request_path, self.log_path = Path(request_path), Path(log_path)
        self._proc = None
        self.pid: Optional[int] = None
        self.started: Optional[str] = None

    def start(self) -> int:
        if self.method == "fork":
            self._zygote = zygote()
            pid = self._zygote.fork(str(self.request_path), str(self.log_path), self.preload)
        else:
            log = open(self.log_path, "ab")
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "plumbline.pipelines.task", str(self.request_path)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    close_fds=True)
            finally:
                log.close()
            pid = self._proc.pid
        self.pid = pid
        self.started = process_started(pid)
        return pid

    def wait(self, timeout: Optional[float]) -> Optional[int]:
        """The exit code (negative: killed by that signal), or None if still running after ``timeout``."""
        if self.method == "fork":
            return self._zygote.wait(self.pid, timeout)
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, grace: float = KILL_GRACE) -> Optional[int]:
        """Stop the task and every process it started; its exit code."""
        if self.pid is not None:
            kill_group(self.pid, grace)
        return self.wait(grace + 5)


def alive(pid: Optional[int], started: Optional[str]) -> bool:
    """Is the task process ``pid`` (started at ``started``) still running?"""
    if not pid or not pid_alive(pid):
        return False
    return started is None or process_started(pid) in (started, None)
