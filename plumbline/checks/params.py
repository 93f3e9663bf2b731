"""Validation of check parameters against the JSON Schema subset the catalog uses.

A hand-written validator rather than `jsonschema`: the kernel imports this on every tagged cell
and headless task processes may not have jsonschema; the subset below is all the catalog uses
(the tests check the catalog against the real jsonschema).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    # bool is an int subclass in Python, but not a number in JSON
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def validate(value: Any, schema: dict, path: str = "params") -> list[str]:
    """Every violation of ``schema`` by ``value``, each naming where it is."""
    errors: list[str] = []
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_TYPES[t](value) for t in allowed):
            return [f"{path} must be {' or '.join(allowed)}, got {_describe(value)}"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path} must be a finite number, got {value}"]
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(repr(o) for o in schema["enum"])
        errors.append(f"{path} must be one of {options}, got {value!r}")
    if _TYPES["number"](value):
        errors += _bounds(value, schema, path)
    if isinstance(value, str) and schema.get("format") == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            errors.append(f"{path} must be an ISO 8601 date-time, got {value!r}")
    if isinstance(value, list):
        errors += _array(value, schema, path)
    if isinstance(value, dict):
        errors += _object(value, schema, path)
    return errors


def with_defaults(schema: dict, params: dict) -> dict:
    """``params`` completed with the defaults of the properties it leaves out."""
    filled = {
        name: _copy(prop["default"])
        for name, prop in schema.get("properties", {}).items()
        if "default" in prop
    }
    filled.update(params)
    return filled


def _bounds(value, schema, path):
    errors = []
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path} must be at least {schema['minimum']}, got {value}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{path} must be at most {schema['maximum']}, got {value}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        errors.append(f"{path} must be greater than {schema['exclusiveMinimum']}, got {value}")
    return errors


def _array(value, schema, path):
    errors = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path} needs at least {schema['minItems']} items, got {len(value)}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path} takes at most {schema['maxItems']} items, got {len(value)}")
    if "items" in schema:
        for i, item in enumerate(value):
            errors += validate(item, schema["items"], f"{path}[{i}]")
    return errors


def _object(value, schema, path):
    errors = []
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            errors.append(f"{path}.{name} is required")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if not isinstance(key, str):
            errors.append(f"{path} keys must be strings, got {key!r}")
        elif key in props:
            errors += validate(item, props[key], f"{path}.{key}")
        elif extra is False:
            known = ", ".join(props) or "none"
            errors.append(f"{path}.{key} is not a parameter of this check (parameters: {known})")
        elif isinstance(extra, dict):
            errors += validate(item, extra, f"{path}[{key!r}]")
    return errors


def _describe(value) -> str:
    if value is None:
        return "null"
    return f"{type(value).__name__} {value!r}" if isinstance(value, (int, float, str)) else type(value).__name__


def _copy(value):
    # defaults are shared catalog data; a check must never mutate them through its params
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
