"""CheckSpec: which check runs on which notebook variables, when, and with what parameters."""

from __future__ import annotations

import copy
import keyword
from dataclasses import dataclass, field
from typing import Callable, Optional

from .builtin import BUILTINS
from .params import validate

WHEN = ("before", "after")
ON_FAIL = ("warn", "block")
USER = "user"
_KEYS = ("id", "check", "when", "args", "params", "on_fail")


@dataclass(frozen=True)
class CheckSpec:
    id: str
    check: str
    when: str
    args: tuple
    params: dict = field(default_factory=dict)
    on_fail: str = "warn"
    func: Optional[Callable] = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        # Validating here (not only in from_json) means no invalid spec exists anywhere.
        if isinstance(self.args, list):
            object.__setattr__(self, "args", tuple(self.args))
        problems = _problems(self)
        if problems:
            raise ValueError(f"check {self.id!r}: " + "; ".join(problems))

    @classmethod
    def from_json(cls, obj: dict) -> "CheckSpec":
        """A spec from cell metadata. Raises ValueError saying everything that is wrong."""
        if not isinstance(obj, dict):
            raise ValueError(f"a check must be a JSON object, got {type(obj).__name__}")
        label = repr(obj.get("id", obj.get("check", "?")))
        unknown = sorted(str(k) for k in obj if k not in _KEYS)
        missing = [k for k in ("id", "check", "when", "args") if k not in obj]
        shape = []
        if unknown:
            shape.append(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                         f"(keys: {', '.join(_KEYS)})")
        if missing:
            shape.append(f"missing {', '.join(missing)}")
        if "args" in obj and not isinstance(obj["args"], list):
            shape.append(f"args must be a list of variable names, got {type(obj['args']).__name__}")
        if "params" in obj and not isinstance(obj["params"], dict):
            shape.append(f"params must be an object, got {type(obj['params']).__name__}")
        if shape:
            name = obj.get("check")
            if isinstance(name, str) and name != USER and name not in BUILTINS:  # say it now too
                shape.append(_unknown(name))
            raise ValueError(f"check {label}: " + "; ".join(shape))
        return cls(
            id=obj["id"],
            check=obj["check"],
            when=obj["when"],
            args=tuple(obj["args"]),
            params=copy.deepcopy(obj.get("params", {})),
            on_fail=obj.get("on_fail", "warn"),
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "check": self.check,
            "when": self.when,
            "args": list(self.args),
            "params": copy.deepcopy(self.params),
            "on_fail": self.on_fail,
        }


def _problems(spec: CheckSpec) -> list[str]:
    problems = []
    if not isinstance(spec.id, str) or not spec.id:
        problems.append("id must be a non-empty string")
    if spec.when not in WHEN:
        problems.append(f"when must be 'before' or 'after', got {spec.when!r}")
    if spec.on_fail not in ON_FAIL:
        problems.append(f"on_fail must be 'warn' or 'block', got {spec.on_fail!r}")
    if not isinstance(spec.args, tuple):
        # a bare string would iterate as one-letter names
        problems.append(f"args must be a list of variable names, got {type(spec.args).__name__}")
        return problems
    bad = [a for a in spec.args if not isinstance(a, str) or not a.isidentifier() or keyword.iskeyword(a)]
    if bad:
        problems.append(f"args must be Python variable names, got {', '.join(repr(a) for a in bad)}")
    if not isinstance(spec.params, dict):
        problems.append(f"params must be a dict, got {type(spec.params).__name__}")
        return problems
    if not isinstance(spec.check, str):
        problems.append(f"check must be a name, got {type(spec.check).__name__}")
        return problems
    if spec.check == USER:
        return problems
    builtin = BUILTINS.get(spec.check)
    if builtin is None:
        problems.append(_unknown(spec.check))
        return problems
    low, high = len(builtin.args), len(builtin.args) + len(builtin.optional_args)
    if not low <= len(spec.args) <= high:
        roles = list(builtin.args) + [f"{r} (optional)" for r in builtin.optional_args]
        problems.append(f"{spec.check} takes {low if low == high else f'{low} to {high}'} "
                        f"variable{'s' if high > 1 else ''} ({', '.join(roles)}), "
                        f"got {len(spec.args)}")
    problems += validate(spec.params, builtin.params)
    return problems


def _unknown(name) -> str:
    return f"unknown check {name!r} (built-in checks: {', '.join(BUILTINS)}; or 'user')"
