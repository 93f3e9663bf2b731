"""How a built-in check is declared: metadata for the catalog plus the function that judges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

BUILTINS: dict[str, "Builtin"] = {}


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str  # without the "name(args): " prefix; the runner adds it
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """Everything one run of a built-in sees."""

    label: str  # e.g. "nulls(flights)"
    names: tuple  # the notebook variable names, in the order of the check's args
    values: tuple
    params: dict  # validated, defaults filled in
    previous: Optional[dict]  # details recorded by the same check in the previous run

    def name(self, index: int) -> str:
        return self.names[index]


@dataclass(frozen=True)
class Builtin:
    name: str
    title: str
    description: str
    args: tuple  # roles of the required values, e.g. ("train", "test")
    optional_args: tuple
    params: dict  # JSON Schema (type object) of the parameters
    default_when: str
    uses_previous: bool
    run: Callable[[Context], Outcome]

    def describe(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "args": list(self.args),
            "optional_args": list(self.optional_args),
            "default_when": self.default_when,
            "uses_previous": self.uses_previous,
            "params": self.params,
        }


def builtin(
    name: str,
    *,
    title: str,
    description: str,
    args: tuple,
    params: dict,
    required: tuple = (),
    optional_args: tuple = (),
    default_when: str = "after",
    uses_previous: bool = False,
):
    """Register the decorated function as the built-in check ``name``."""

    def register(run: Callable[[Context], Outcome]):
        schema: dict[str, Any] = {
            "type": "object",
            "properties": params,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = list(required)
        BUILTINS[name] = Builtin(
            name, title, description, tuple(args), tuple(optional_args), schema,
            default_when, uses_previous, run,
        )
        return run

    return register


# Small constructors keep the parameter tables readable in the check modules.
def number(default, description, minimum=None, maximum=None, nullable=False, exclusive_minimum=None):
    prop: dict[str, Any] = {"type": ["number", "null"] if nullable else "number"}
    if minimum is not None:
        prop["minimum"] = minimum
    if maximum is not None:
        prop["maximum"] = maximum
    if exclusive_minimum is not None:
        prop["exclusiveMinimum"] = exclusive_minimum
    prop.update(default=default, description=description)
    return prop


def fraction(default, description, nullable=False):
    return number(default, description, minimum=0, maximum=1, nullable=nullable)


def integer(default, description, nullable=True):
    return {
        "type": ["integer", "null"] if nullable else "integer",
        "minimum": 0,
        "default": default,
        "description": description,
    }


def column_list(description):
    return {
        "type": ["array", "null"],
        "items": {"type": "string"},
        "default": None,
        "description": description,
    }
