"""Rows of the lineage store as Python values (mirrors ``schema/store``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

RUN_STATUSES = ("running", "ok", "error", "interrupted")


@dataclass(frozen=True)
class KernelSession:
    id: str
    hostname: str
    pid: int
    started_at: float
    kind: str = "kernel"
    python_version: Optional[str] = None
    plumbline_version: Optional[str] = None
    task_run_id: Optional[str] = None  # a pipeline task process: the task run its cell runs belong to


@dataclass(frozen=True)
class ComponentInfo:
    """What the notebook metadata says of a component (the definition)."""

    owner: Optional[str] = None
    description: Optional[str] = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckRecord:
    """One check's result on one run: a row of ``check_results``."""

    spec_id: str
    name: str
    when: str  # 'before' | 'after' the component's cells, as in the check's spec
    status: str
    on_fail: str
    message: str
    details: dict
    duration_ms: float
    created_at: float

    @classmethod
    def of(cls, result: Any, created_at: float) -> "CheckRecord":
        """The record of a ``plumbline.checks.CheckResult``."""
        return cls(spec_id=result.spec_id, name=result.name, when=result.when, status=result.status,
                   on_fail=result.on_fail, message=result.message, details=result.details,
                   duration_ms=result.duration_ms, created_at=created_at)


@dataclass(frozen=True)
class RunStart:
    id: str
    kernel_session: str
    code: str
    started_at: float
    notebook_path: Optional[str] = None
    cell_id: Optional[str] = None
    component_name: Optional[str] = None
    execution_count: Optional[int] = None
    git_commit: Optional[str] = None
    component: Optional[ComponentInfo] = None
    analysis: Optional[dict] = None  # plumbline.analysis of the code, stored with the snapshot


@dataclass(frozen=True)
class RunEnd:
    id: str
    ended_at: float
    status: str
    execution_count: Optional[int] = None
    error_name: Optional[str] = None
    error_value: Optional[str] = None

    def __post_init__(self) -> None:
        if self.status not in RUN_STATUSES[1:]:
            raise ValueError(f"A finished run's status is one of {RUN_STATUSES[1:]}, not {self.status!r}")


IO_DIRECTIONS = ("input", "output")
IO_KINDS = ("variable", "file")
IO_HOWS = ("read", "assigned", "mutated", "written")


def io_id(run_id: str, direction: str, kind: str, name: str) -> str:
    """The id of one input or output of a run; known before the row is written."""
    return f"{run_id}/{'in' if direction == 'input' else 'out'}/{'var' if kind == 'variable' else 'file'}/{name}"


@dataclass(frozen=True)
class IORecord:
    """One value or file a run read (input) or wrote (output): a row of ``run_io``."""

    run_id: str
    direction: str  # 'input' | 'output'
    kind: str  # 'variable' | 'file'
    name: str
    how: str  # 'read' | 'assigned' | 'mutated' | 'written'
    created_at: float
    type: Optional[str] = None
    value_hash: Optional[str] = None
    strategy: Optional[str] = None
    shape: Optional[tuple[int, ...]] = None
    columns: Optional[tuple[tuple[str, str], ...]] = None
    size_bytes: Optional[int] = None
    row_count: Optional[int] = None
    # Inputs: the output this value was, and its run. None for a file: the store
    # looks for the latest output of the same path with the same content.
    source_io_id: Optional[str] = None
    source_run_id: Optional[str] = None
    # Outputs: the ids of the run's inputs this value was made from (() : none, a
    # constant); None: not known, readers take every input of the run.
    depends_on: Optional[tuple[str, ...]] = None

    def __post_init__(self) -> None:
        if self.direction not in IO_DIRECTIONS or self.kind not in IO_KINDS or self.how not in IO_HOWS:
            raise ValueError(f"Not a valid run_io row: {self.direction}/{self.kind}/{self.how}")

    @property
    def id(self) -> str:
        return io_id(self.run_id, self.direction, self.kind, self.name)


@dataclass(frozen=True)
class Binding:
    """What one name of a kernel holds after a cell: a row of ``kernel_bindings``."""

    name: str
    io_id: Optional[str]  # the recorded output it holds; None: a value no recorded run made
    deleted: bool = False


@dataclass(frozen=True)
class ArtifactRecord:
    """A materialized value under ``.plumbline/artifacts/`` (a row of ``artifacts``)."""

    hash: str
    path: str  # relative to the store's folder
    format: str  # 'parquet' | 'npy' | 'joblib' | 'pickle'
    type: str
    size_bytes: int
    created_at: float
