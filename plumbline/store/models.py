"""Rows of the lineage store as Python values (mirrors ``schema/store``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

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


@dataclass(frozen=True)
class ComponentInfo:
    """What the notebook metadata says of a component (the definition)."""

    owner: Optional[str] = None
    description: Optional[str] = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckRecord:
    spec_id: str
    name: str
    phase: str
    status: str
    on_fail: str
    message: str
    details: dict
    duration_ms: float
    created_at: float


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
