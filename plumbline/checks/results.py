"""What a check run produced, in a form the store and the UI can keep as JSON."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Optional


@dataclass(frozen=True)
class CheckResult:
    spec_id: str
    name: str
    when: str
    status: str
    message: str
    details: dict
    duration_ms: float
    on_fail: str

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def to_json(self) -> dict:
        return asdict(self)


def blocking_failure(
    results: Iterable[CheckResult],
    specs: Optional[Iterable[Any]] = None,
    *,
    include_errors: bool = True,
) -> Optional[CheckResult]:
    """The first before-check result that must stop the cell, or None.

    A result carries its spec's on_fail; when ``specs`` are given, their on_fail wins (matched by
    id), so a spec edited since the run is honoured. ``include_errors``: whether a check that
    could not run (missing variable, crash) blocks too.
    """
    on_fail = {s.id: s.on_fail for s in specs} if specs is not None else {}
    stopping = ("fail", "error") if include_errors else ("fail",)
    for result in results:
        blocks = on_fail.get(result.spec_id, result.on_fail) == "block"
        if result.when == "before" and blocks and result.status in stopping:
            return result
    return None


def one_line(text: str, limit: int = 400) -> str:
    """Messages feed a badge tooltip: collapse whitespace and cap the length."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def jsonable(value: Any, _depth: int = 0) -> Any:
    """``value`` made JSON-serializable without importing numpy or pandas.

    Checks compute with numpy, so details are full of numpy scalars and Timestamps; the store
    must get plain JSON, and a NaN is not JSON.
    """
    if _depth > 20:
        return repr(value)[:200]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if type(value).__name__ == "NaTType":
        return None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, _depth + 1) for v in value]
    module = type(value).__module__ or ""
    if module.startswith("numpy") and hasattr(value, "tolist"):
        if getattr(value, "dtype", None) is not None and value.dtype.kind in "Mm":
            return str(value)  # numpy datetimes: tolist() gives ints for ns precision
        return jsonable(value.tolist(), _depth + 1)
    return repr(value)[:200]
