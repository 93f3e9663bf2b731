"""The task process: one task of one pipeline run, its cells run under the recorder exactly as in a kernel.

The runner (``runner.py``) starts one process per task attempt (``launcher.py``)
with a request (JSON file) and reads its result file when it ends. In the
process:

1. an IPython ``InteractiveShell`` (no kernel, no ZMQ) with the recorder
   activated as a ``task`` session that names the task run, so every cell
   run of the attempt is a run like any other (``runs.task_run_id``);
2. the run's data interval (``logical_date``, ``data_interval_start``,
   ``data_interval_end``: aware datetimes in the pipeline's timezone) is set;
3. the prelude cells run (the ``parameters`` cell among them, followed by the
   run's overrides, as papermill injects them);
4. the inputs are loaded from the artifact location, and the recorder is told
   which recorded output each one is (the upstream task's), so lineage links
   across processes without hashing them again;
5. the task's cells run, each with its own metadata and id, so components,
   checks and blocking behave as in JupyterLab; the first failing cell ends the
   attempt;
6. the recorder's writes are flushed, the outputs are stored (type-aware,
   content-addressed), and the result (status, outputs, environment) is
   written atomically.

Exit status 0: the task succeeded; 1: it failed (the result says why); 2: the
process could not run it at all (the result, if any, says why).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from typing import Any, Optional

SYNC_TIMEOUT = 600.0  # seconds the end of a task waits for the recorder's hashing and writes


def _preload() -> None:
    """What the zygote does once, so each forked task starts warm: the imports, and the shell itself,
    which has run one (unrecorded) cell so that IPython's lazy machinery is loaded too."""
    from ..artifacts import exchange  # noqa: F401
    from ..checks import CheckSpec  # noqa: F401
    from ..fingerprint import fingerprint
    from ..kernel import activate  # noqa: F401
    from ..kernel.lineage import analysis_of
    from ..kernel.lineage.namespace import Version  # noqa: F401
    from .codegen import Cell  # noqa: F401
    from .compiler import environment_of  # noqa: F401

    shell = _shell()
    shell.run_cell("_plumbline_warm = 1", store_history=False, silent=True)
    shell.user_ns.pop("_plumbline_warm", None)
    analysis_of("x = y")
    fingerprint(1)


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no ~/.ipython history database per task process
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    if InteractiveShell.initialized():  # made by the zygote before it forked this process
        return InteractiveShell.instance()
    return InteractiveShell.instance(config=config)


def _write_result(path: str, result: dict) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f, default=str)
    os.replace(tmp, path)


def _error_of(result: Any) -> Optional[BaseException]:
    if result is None:
        return None
    return result.error_before_exec or result.error_in_exec


def run(request: dict) -> int:
    """Run the task described by ``request``; write its result file; the exit status."""
    result_path = request["result_path"]
    outcome: dict = {"status": "error", "error_name": None, "error_value": None, "outputs": {}, "session": None,
                     "environment": None, "pid": os.getpid()}
    recorder = None
    try:
        os.environ.setdefault("MPLBACKEND", "Agg")  # figures render to nothing instead of needing a display
        cwd = request["cwd"]
        os.chdir(cwd)
        if cwd not in sys.path:
            sys.path.insert(0, cwd)
        from ..artifacts.exchange import ArtifactError, ArtifactRef, Location
        from ..fingerprint import Fingerprint, fingerprint
        from ..kernel import activate
        from ..kernel.lineage.namespace import Version
        from .codegen import Cell
        from .compiler import environment_of

        shell = _shell()
        recorder = activate(shell, notebook_path=request["notebook_path"], db=request["store_path"], kind="task",
                            task_run_id=request["task_run_id"])
        outcome["session"] = recorder.session.id
        ns = shell.user_ns
        tz = _zone(request.get("timezone") or "UTC")
        interval = {key: datetime.fromtimestamp(request["interval"][key], tz=dt_timezone.utc).astimezone(tz)
                    for key in ("logical_date", "data_interval_start", "data_interval_end")}
        ns.update(interval)

        def run_cell(cell: Cell) -> Optional[BaseException]:
            print(f"== cell {cell.index} (id {cell.id})", flush=True)
            recorder.cell_metadata = {**cell.metadata, "cellId": cell.id}
            try:
                res = shell.run_cell(cell.source, store_history=True, cell_id=cell.id)
            finally:
                recorder.cell_metadata = None
            sys.stdout.flush()
            return _error_of(res)

        failed = None
        for cell in (Cell(**c) for c in request["prelude"]):
            failed = run_cell(cell)
            if failed is not None:
                break
            if cell.id == request.get("parameters_cell"):
                # as papermill injects them: after the parameters cell, whose values are the defaults
                ns.update(request.get("params") or {})
                ns.update(interval)
        if failed is None and request.get("parameters_cell") is None:
            ns.update(request.get("params") or {})
        if failed is None:
            location = Location(request["artifacts"])
            for name, entry in request["inputs"].items():
                value = location.load(name, ArtifactRef.from_json(entry["ref"]))
                ns[name] = value
                fp = entry.get("fingerprint")
                if entry.get("io_id") and fp:
                    recorder.lineage.tracker.set(name, Version.of(entry["io_id"], entry.get("run_id"), value,
                                                                  Fingerprint(**_fingerprint_fields(fp))))
            for cell in (Cell(**c) for c in request["cells"]):
                failed = run_cell(cell)
                if failed is not None:
                    break
        recorder.sync(SYNC_TIMEOUT)
        outcome["environment"] = environment_of(request.get("imports") or ())
        if failed is not None:
            outcome.update(error_name=type(failed).__name__, error_value=_safe_str(failed))
            return _finish(recorder, result_path, outcome, 1)
        location = Location(request["artifacts"])
        outputs = {}
        for name in request["outputs"]:
            if name not in ns:
                outcome.update(error_name="MissingOutput",
                               error_value=f"The task ended without defining '{name}', which a later task reads "
                                           "(a branch of its code did not set it).")
                return _finish(recorder, result_path, outcome, 1)
            value = ns[name]
            version = recorder.lineage.tracker.get(name, value)
            fp = version.fingerprint if version is not None else fingerprint(value)
            exact = fp.content_hash is not None and "sampled" not in (fp.strategy or "")
            try:
                ref = location.save(name, value, fp.content_hash if exact else None)
            except ArtifactError as exc:
                outcome.update(error_name="ArtifactError", error_value=str(exc))
                return _finish(recorder, result_path, outcome, 1)
            outputs[name] = {"ref": ref.to_json(), "io_id": version.io_id if version else None,
                             "run_id": version.run_id if version else None, "fingerprint": fp.to_json(),
                             "exact": exact}
            _record_artifact(recorder, request, version, ref)
        outcome.update(status="ok", outputs=outputs)
        return _finish(recorder, result_path, outcome, 0)
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the runner gets a result that says it
        outcome.update(status="error", error_name=type(exc).__name__,
                       error_value=f"{_safe_str(exc)}\n{traceback.format_exc(limit=8)}")
        try:
            traceback.print_exc()
        except Exception:  # noqa: BLE001
            pass
        return _finish(recorder, result_path, outcome, 2 if recorder is None else 1)


def _finish(recorder: Any, result_path: str, outcome: dict, code: int) -> int:
    if recorder is not None:
        try:
            recorder.sync(SYNC_TIMEOUT)
            recorder.close()
        except Exception as exc:  # noqa: BLE001
            print(f"Plumbline: the task's last records could not be saved: {exc}", file=sys.stderr)
    _write_result(result_path, outcome)
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _record_artifact(recorder: Any, request: dict, version: Any, ref: Any) -> None:
    """A value stored under the store's own artifacts folder can be loaded with plumbline.load too."""
    if version is None or version.io_id is None:
        return
    store_dir = Path(request["store_path"]).parent.resolve()
    path = Path(ref.uri)
    if "://" in ref.uri or not path.is_relative_to(store_dir / "artifacts"):
        return
    from ..store import ArtifactRecord, Store

    record = ArtifactRecord(hash=path.name.split(".")[0], path=path.relative_to(store_dir).as_posix(),
                            format=ref.format, type=ref.type, size_bytes=ref.size_bytes, created_at=time.time())
    recorder.backlog.put(Store.record_artifact, version.io_id, record, None)


def _fingerprint_fields(fp: dict) -> dict:
    return {
        "type": fp.get("type") or "?", "content_hash": fp.get("content_hash"), "strategy": fp.get("strategy") or "",
        "shape": tuple(fp["shape"]) if fp.get("shape") is not None else None,
        "columns": tuple(tuple(c) for c in fp["columns"]) if fp.get("columns") is not None else None,
        "size_bytes": fp.get("size_bytes"),
    }


def _zone(name: str):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - validated when the spec was loaded
        return dt_timezone.utc


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__}: str() failed>"


def forked_main(request_path: str, log_path: str) -> int:
    """Entry point in a process forked by the zygote (``zygote.py``): its own group, its own log."""
    os.setsid()  # its own process group: a timeout kills it and every process it started
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # never the zygote's request pipe
    os.close(devnull)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    return run(request)


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m plumbline.pipelines.task REQUEST.json``: the spawned (not forked) entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m plumbline.pipelines.task REQUEST.json", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        request = json.load(f)
    return run(request)


if __name__ == "__main__":
    sys.exit(main())
