"""The pipeline spec (``pipelines/<name>/pipeline.json``) and what the compiler says about a range of cells.

Plain frozen dataclasses with ``to_json()`` / ``from_json()``; the JSON form is
the cross-language contract, checked by ``pipeline.schema.json`` on every
load (``spec.py``) and pinned by ``plumbline/tests/fixtures/pipeline-spec-v1.json``.

Vocabulary:

* a **task** is one component of the notebook (all its cells, plus the untagged
  cells folded into it); one task = one process per run;
* the **prelude** is the untagged cells that only import, define functions or
  classes, or set constants; every task runs it first;
* the **parameters** cell (tagged ``parameters``, papermill's convention) is
  part of the prelude; a run may override its values, and every task gets the
  run's data interval (``logical_date``, ``data_interval_start``,
  ``data_interval_end``: timezone-aware ``datetime`` objects in the pipeline's
  timezone) as variables;
* an **input** of a task is a variable another task wrote, with the type seen
  and the artifact format it crosses in.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Optional

SPEC_VERSION = 1
INTERVAL_NAMES = ("logical_date", "data_interval_start", "data_interval_end")
CATCHUP_POLICIES = ("none", "latest", "all")
TRIGGERS = ("schedule", "manual", "backfill", "airflow")
FORMATS = ("parquet", "npy", "joblib", "pickle")
MAX_NAME_CHARS = 64
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def name_problem(name: object, what: str = "A pipeline name") -> Optional[str]:
    """Why ``name`` cannot name a pipeline or task (it becomes a folder, a module and an Airflow id), or None."""
    if not isinstance(name, str) or not name:
        return f"{what} is required: a Python identifier such as weekly_scoring."
    if "/" in name or "\\" in name or ".." in name:
        return f"{what} cannot contain a path ({name[:80]!r}); use a Python identifier such as weekly_scoring."
    if len(name) > MAX_NAME_CHARS:
        return f"{what} has at most {MAX_NAME_CHARS} characters."
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        return (f"{what} must be a Python identifier (letters, digits, _; not starting with a digit; "
                f"not a keyword), not {name[:80]!r}.")
    return None


@dataclass(frozen=True)
class CellRef:
    id: str
    index: int  # 1-based position in the notebook, markdown cells counted (as the CLI's --cells)
    code_hash: str  # sha256 of the source, as runs.code_hash

    @classmethod
    def from_json(cls, d: dict) -> "CellRef":
        return cls(id=d["id"], index=d["index"], code_hash=d["code_hash"])


@dataclass(frozen=True)
class Variable:
    """A value crossing from one task to another."""

    name: str
    type: Optional[str] = None  # qualified type name, e.g. pandas.DataFrame; None: not seen yet
    format: str = "pickle"  # artifact format (plumbline/artifacts)
    seen: str = "static"  # where the type comes from: 'recorded' (lineage), 'kernel' (live probe), 'static'

    @classmethod
    def from_json(cls, d: dict) -> "Variable":
        return cls(name=d["name"], type=d.get("type"), format=d.get("format", "pickle"), seen=d.get("seen", "static"))


@dataclass(frozen=True)
class TaskInput:
    name: str
    task: str  # the task that writes it
    type: Optional[str] = None
    format: str = "pickle"
    seen: str = "static"

    @classmethod
    def from_json(cls, d: dict) -> "TaskInput":
        return cls(name=d["name"], task=d["task"], type=d.get("type"), format=d.get("format", "pickle"),
                   seen=d.get("seen", "static"))


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # int, float, str, bool, list, dict, none
    default: Any

    @classmethod
    def from_json(cls, d: dict) -> "Parameter":
        return cls(name=d["name"], type=d["type"], default=d.get("default"))


@dataclass(frozen=True)
class Retry:
    retries: int = 0
    retry_delay_seconds: float = 60.0
    timeout_seconds: Optional[float] = 3600.0  # None: no timeout

    @classmethod
    def from_json(cls, d: dict) -> "Retry":
        return cls(retries=d.get("retries", 0), retry_delay_seconds=d.get("retry_delay_seconds", 60.0),
                   timeout_seconds=d.get("timeout_seconds", 3600.0))


@dataclass(frozen=True)
class TaskSpec:
    name: str
    module: str  # relative to the pipeline folder: tasks/<name>.py
    cells: tuple[CellRef, ...]
    code_hash: str  # of the prelude and the task's cells: what reuse and "out of date" compare
    inputs: tuple[TaskInput, ...] = ()
    outputs: tuple[Variable, ...] = ()
    upstream: tuple[str, ...] = ()
    retry: Retry = field(default_factory=Retry)
    imports: tuple[str, ...] = ()  # top-level packages its cells (and the prelude) import
    component: Optional[str] = None  # the notebook component it is; None for untagged cells only
    reads_parameters: tuple[str, ...] = ()  # parameters and interval names its cells read (reuse keys on them)

    @classmethod
    def from_json(cls, d: dict) -> "TaskSpec":
        return cls(
            name=d["name"], module=d["module"], cells=tuple(CellRef.from_json(c) for c in d["cells"]),
            code_hash=d["code_hash"], inputs=tuple(TaskInput.from_json(i) for i in d.get("inputs", ())),
            outputs=tuple(Variable.from_json(o) for o in d.get("outputs", ())),
            upstream=tuple(d.get("upstream", ())), retry=Retry.from_json(d.get("retry", {})),
            imports=tuple(d.get("imports", ())), component=d.get("component"),
            reads_parameters=tuple(d.get("reads_parameters", ())),
        )


@dataclass(frozen=True)
class Schedule:
    cron: Optional[str] = None  # None: runs only when asked
    timezone: str = "UTC"
    catchup: str = "latest"  # slots missed while no scheduler ran: none / latest / all (bounded)
    catchup_limit: int = 10  # 'all' runs at most this many missed slots, the latest ones
    max_active_runs: int = 1

    @classmethod
    def from_json(cls, d: Optional[dict]) -> "Schedule":
        d = d or {}
        return cls(cron=d.get("cron"), timezone=d.get("timezone", "UTC"), catchup=d.get("catchup", "latest"),
                   catchup_limit=d.get("catchup_limit", 10), max_active_runs=d.get("max_active_runs", 1))


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    notebook: str  # project-relative path of the source notebook
    tasks: tuple[TaskSpec, ...]
    prelude: tuple[CellRef, ...] = ()
    parameters_cell: Optional[CellRef] = None  # also in the prelude, at its position
    parameters: tuple[Parameter, ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    parallelism: int = 2  # tasks of one run running at once
    reuse: bool = False  # reuse a task's outputs when its code and inputs are unchanged
    artifacts: Optional[str] = None  # folder or fsspec URL; None: <store folder>/artifacts
    environment: dict = field(default_factory=dict)  # {"python": ..., "packages": {...}, "source": ...}
    cells: tuple[str, ...] = ()  # ids of every notebook cell of the promoted range, markdown included
    created_at: str = ""
    updated_at: str = ""
    plumbline_version: str = ""
    version: int = SPEC_VERSION

    def task(self, name: str) -> TaskSpec:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_json(self) -> dict:
        d = asdict(self)
        d["tasks"] = [_task_json(t) for t in self.tasks]
        # JSON types only (tuples become lists), version first
        return json.loads(json.dumps({"version": self.version, **{k: v for k, v in d.items() if k != "version"}}))

    @classmethod
    def from_json(cls, d: dict) -> "PipelineSpec":
        pc = d.get("parameters_cell")
        return cls(
            version=d["version"], name=d["name"], notebook=d["notebook"],
            tasks=tuple(TaskSpec.from_json(t) for t in d["tasks"]),
            prelude=tuple(CellRef.from_json(c) for c in d.get("prelude", ())),
            parameters_cell=CellRef.from_json(pc) if pc else None,
            parameters=tuple(Parameter.from_json(p) for p in d.get("parameters", ())),
            schedule=Schedule.from_json(d.get("schedule")), parallelism=d.get("parallelism", 2),
            reuse=d.get("reuse", False), artifacts=d.get("artifacts"), environment=d.get("environment", {}),
            cells=tuple(d.get("cells", ())), created_at=d.get("created_at", ""), updated_at=d.get("updated_at", ""),
            plumbline_version=d.get("plumbline_version", ""),
        )

    def with_(self, **changes: Any) -> "PipelineSpec":
        return replace(self, **changes)


def _task_json(t: TaskSpec) -> dict:
    d = asdict(t)
    d["cells"] = [asdict(c) for c in t.cells]
    return d


# -- what the compiler says (the preview payload) ---------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something in the range that stops (error) or may break (warning) the pipeline, with a fix."""

    code: str
    severity: str  # 'error' | 'warning'
    message: str
    fix: str
    cells: tuple[int, ...] = ()  # 1-based notebook positions
    task: Optional[str] = None
    variable: Optional[str] = None

    def to_json(self) -> dict:
        return {**asdict(self), "cells": list(self.cells)}


@dataclass(frozen=True)
class Note:
    """How the compiler read the cells (folded cells, prelude, lineage that overrode static analysis)."""

    code: str  # 'prelude' | 'folded' | 'leading' | 'lineage' | 'single_task' | 'parameters'
    message: str
    cells: tuple[int, ...] = ()
    task: Optional[str] = None
    variable: Optional[str] = None

    def to_json(self) -> dict:
        return {**asdict(self), "cells": list(self.cells)}
