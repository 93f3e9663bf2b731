"""A cell's component definition, as JupyterLab sends it in the cell metadata.

Every cell of a component carries the definition under ``plumbline`` (so it
travels with the cell), plus ``part``: where the cell sits in its group of
consecutive cells. Before-checks run with the first cell, after-checks after
the last; a one-cell component is ``"only"``.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..store import ComponentInfo

PARTS = ("only", "first", "middle", "last")


@dataclass(frozen=True)
class ComponentCell:
    name: str
    info: ComponentInfo
    checks: tuple[dict, ...] = field(default_factory=tuple)
    part: str = "only"
    materialize: bool = False  # keep a copy of every output under .plumbline/artifacts/

    @property
    def runs_before_checks(self) -> bool:
        return self.part in ("only", "first")

    @property
    def runs_after_checks(self) -> bool:
        return self.part in ("only", "last")


#: The one name rule (src/components/model.ts has the same; fixtures/component-metadata-v1.json pins
#: both): an ASCII Python identifier of at most 64 characters, not a keyword. It names the
#: component's task module in a pipeline and its Airflow task id.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def is_component_name(name: Any) -> bool:
    return isinstance(name, str) and NAME.fullmatch(name) is not None and not keyword.iskeyword(name)


def parse_component(metadata: Any) -> Optional[ComponentCell]:
    """The component of a cell, or None. Malformed fields are dropped, not fatal:
    a hand-edited .ipynb must never stop a cell from running."""
    if not isinstance(metadata, dict):
        return None
    meta = metadata.get("plumbline")
    if not isinstance(meta, dict) or not is_component_name(meta.get("component")):
        return None
    tags = meta.get("tags")
    checks = meta.get("checks")
    part = meta.get("part")
    return ComponentCell(
        name=meta["component"],
        info=ComponentInfo(
            owner=_text(meta.get("owner")),
            description=_text(meta.get("description")),
            tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        ),
        checks=tuple(c for c in checks if isinstance(c, dict)) if isinstance(checks, list) else (),
        part=part if part in PARTS else "only",
        materialize=meta.get("materialize") is True,
    )


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value.strip() else None
