"""A warm process that forks task processes: IPython and the recorder are imported once, not per task.

``python -m plumbline.pipelines.zygote`` is started by the launcher (one per
runner process). It imports what every task needs, then serves requests, one
JSON line each on stdin::

    {"token": "...", "request": "<request.json>", "log": "<task.log>", "env": {...}, "preload": ["pandas"]}

and answers on stdout with ``{"token": ..., "pid": N}`` when it forked, and
``{"exit": N, "code": C}`` when that child ended (``C`` < 0: killed by signal
``-C``). Libraries the task imports that are known to be safe to fork after
(``WARM``: numpy, pandas, scikit-learn...) are imported in the zygote first, once. It stays single-threaded — it waits in ``select`` on stdin and on a
SIGCHLD wake-up pipe, so forking is safe and nothing polls — and it exits when
stdin closes (its runner is gone); the children it forked are their own
process groups and go on until they end or a runner stops them.

Why not multiprocessing's fork server: it runs the parent's ``__main__`` in
every child (the Jupyter server's script, pytest, ``<stdin>``), which is slow
at best and fails at worst.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys


#: Libraries a task may import that are safe to import here and fork afterwards: imported once in
#: the zygote when a task's cells import them, so the next tasks find them loaded. Not on the list:
#: anything that may start devices or servers at import (torch, tensorflow, jax, ray, dask...).
WARM = frozenset({"numpy", "pandas", "pyarrow", "scipy", "sklearn", "joblib", "cloudpickle", "xxhash"})


def _warm(modules) -> None:
    for module in modules:
        if module in WARM and module not in sys.modules:
            try:
                __import__(module)
            except Exception:  # noqa: BLE001 - a warm import is an optimization, never a failure
                pass


def _serve() -> None:
    from .task import _preload

    _preload()
    extra = [m for m in os.environ.get("PLUMBLINE_TASK_PRELOAD", "").split(",") if m.strip()]
    for module in extra:
        try:
            __import__(module.strip())
        except Exception:  # noqa: BLE001 - a warm import is an optimization, never a failure
            pass
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    out = sys.stdout
    stdin = sys.stdin.buffer
    buffer = b""
    children: set[int] = set()

    def say(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                return
            if pid == 0:
                return
            children.discard(pid)
            say({"exit": pid, "code": os.waitstatus_to_exitcode(status)})

    say({"ready": os.getpid()})
    while True:
        try:
            ready, _, _ = select.select([stdin, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
            reap()
        if stdin in ready:
            chunk = os.read(stdin.fileno(), 65536)
            if not chunk:
                return  # the runner is gone
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if not line.strip():
                    continue
                msg = json.loads(line)
                _warm(msg.get("preload") or ())
                pid = os.fork()
                if pid == 0:  # the task process
                    code = 2
                    try:
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        os.close(wake_r)
                        os.close(wake_w)
                        env = msg.get("env")
                        if isinstance(env, dict):
                            os.environ.clear()
                            os.environ.update(env)
                        from .task import forked_main

                        code = forked_main(msg["request"], msg["log"])
                    except SystemExit as exc:
                        code = exc.code if isinstance(exc.code, int) else 1
                    except BaseException:  # noqa: BLE001
                        import traceback

                        traceback.print_exc()
                    finally:
                        os._exit(code)
                children.add(pid)
                say({"token": msg.get("token"), "pid": pid})
            reap()


if __name__ == "__main__":
    _serve()
