"""``plumbline.load``: the value of a recorded output, from its materialized copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from . import read

MIN_PREFIX = 6


class LoadError(LookupError):
    """The output cannot be loaded; the message says what to do."""


def load(ref: str, name: Optional[str] = None, *, store: Any = None) -> Any:
    """The value of an output: ``load(io_id)`` or ``load(run_id_or_prefix, "variable")``.

    ``ref`` is an output's id (as in the lineage view), or a run id (or a prefix
    of at least 6 characters) with the variable's ``name``. The output must have
    been materialized: turn on *Materialize outputs* for its component.
    """
    own = store is None
    if own:
        store = _store()
    try:
        row = _find(store, ref, name)
        run = store.run(row["run_id"]) or {}
        component = run.get("component_name")
        label = f"'{row['name']}' of run {row['run_id'][:8]}"
        if row["artifact_hash"] is None:
            if row["artifact_note"]:
                raise LoadError(f"{label} was {row['artifact_note']}")
            where = f"component '{component}'" if component else "the cell (make it a component first)"
            raise LoadError(f"{label} was not materialized: turn on Materialize outputs for {where} and run it "
                            "again.")
        artifact = store.artifact(row["artifact_hash"])
        if artifact is None:
            raise LoadError(f"{label} names artifact {row['artifact_hash']}, which the store does not have.")
        folder = Path(store.path).parent.resolve()
        path = (folder / artifact["path"]).resolve()
        if not path.is_relative_to(folder / "artifacts"):
            # The store names its files; one pointing elsewhere was not written by Plumbline.
            raise LoadError(f"{label} names the file {artifact['path']!r}, outside {folder / 'artifacts'}; "
                            "refusing to read it.")
        if not path.is_file():
            again = f"run component '{component}' again" if component else "run its cell again"
            raise LoadError(f"The materialized copy of {label} is missing ({path} was deleted or moved); {again} "
                            "to keep a new one.")
        return read(path, artifact["format"])
    finally:
        if own and store is not getattr(_recorder(), "store", None):
            store.close()


def _recorder() -> Any:
    import sys

    kernel = sys.modules.get("plumbline.kernel")
    return kernel.recorder() if kernel is not None else None


def _store() -> Any:
    rec = _recorder()
    if rec is not None and rec.store is not None:  # a recording kernel: its own store, last writes saved
        rec.sync()
        return rec.store
    from ..store import Store, resolve_store_path

    path = resolve_store_path()
    if not path.is_file():
        raise LoadError(f"No lineage store at {path}: run this in the project, or set PLUMBLINE_DB.")
    return Store(path)


def _find(store: Any, ref: str, name: Optional[str]) -> dict:
    if not isinstance(ref, str) or not ref:
        raise LoadError("plumbline.load needs an output id, or a run id and a variable name.")
    if name is None:
        row = store.io(ref)
        if row is None:
            if "/" not in ref:
                raise LoadError(f"No output has the id {ref!r}; to load by run, pass the variable name too: "
                                f"plumbline.load({ref!r}, 'df').")
            raise LoadError(f"No output has the id {ref!r}.")
        if row["direction"] == "input":
            if not row["source_io_id"]:
                raise LoadError(f"{ref!r} is an input that came from outside the recorded runs; nothing to load.")
            return _find(store, row["source_io_id"], None)
        if row["kind"] != "variable":
            raise LoadError(f"{ref!r} is a file; open {row['name']!r} itself.")
        return row
    if len(ref) < MIN_PREFIX:
        raise LoadError(f"A run id prefix needs at least {MIN_PREFIX} characters; {ref!r} has {len(ref)}.")
    runs = store.runs_with_id_prefix(ref)
    if not runs:
        raise LoadError(f"No run id starts with {ref!r}.")
    if len(runs) > 1:
        ids = ", ".join(r["id"] for r in runs[:5])
        raise LoadError(f"{'More than 5' if len(runs) > 5 else len(runs)} runs start with {ref!r} "
                        f"({ids}{', ...' if len(runs) > 5 else ''}); give more characters.")
    run_id = runs[0]["id"]
    outputs = store.variable_outputs(run_id)
    for row in outputs:
        if row["name"] == name:
            return row
    names = ", ".join(sorted(r["name"] for r in outputs)) or "none"
    raise LoadError(f"Run {run_id[:8]} has no output named {name!r} (its outputs: {names}).")
