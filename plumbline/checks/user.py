"""User-defined checks: plain functions or ComponentTests classes, registered by component.

Parameter names are notebook variable names, so a check reads like the code it guards. The
registry is keyed by ``__qualname__``: re-running the defining cell replaces the earlier check,
and ids stay the same when the same cell later runs in a pipeline task module (whose
``__module__`` differs).
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from typing import Callable, Optional

from .spec import ON_FAIL, USER, WHEN, CheckSpec

_lock = threading.Lock()
# qualname -> registrations; a list because stacked decorators put one function in several
# components.
_registry: dict[str, list["_Entry"]] = {}


@dataclass(frozen=True)
class _Entry:
    component: str
    target: object  # the function, or the ComponentTests subclass
    when: str = "after"
    on_fail: str = "warn"


def check(component: str, when: str = "after", on_fail: str = "warn"):
    """Register the decorated function as a check of ``component``; returns it unchanged.

    ``@plumbline.check("cleaning", when="before", on_fail="block")``; the function's parameters
    are the notebook variables it receives; a failed ``assert`` (or returning False) fails it.
    """
    if callable(component) and not isinstance(component, str):
        raise TypeError("give the component name: @plumbline.check('cleaning')")
    _validate(component, when, on_fail)

    def register(func: Callable):
        _parameters(func, func.__qualname__)
        _add(func.__qualname__, _Entry(component, func, when, on_fail))
        return func

    return register


class ComponentTests:
    """Base class for a component's tests.

    ``class CleaningChecks(plumbline.ComponentTests, component="cleaning"): ...`` -- methods
    named ``before_*`` run before the cell, ``test_*`` and ``after_*`` after it; each receives
    the notebook variables its parameters name. A fresh instance runs each method, as in pytest.
    ``on_fail="block"`` in the class line makes failing before-checks stop the cell.
    """

    component: Optional[str] = None
    on_fail: str = "warn"

    def __init_subclass__(cls, component: Optional[str] = None, on_fail: Optional[str] = None,
                          **kwargs):
        super().__init_subclass__(**kwargs)
        if component is not None:
            cls.component = component
        if on_fail is not None:
            cls.on_fail = on_fail
        if cls.component is None:
            return  # an abstract base for shared helpers; its subclasses name the component
        _validate(cls.component, "after", cls.on_fail)
        for name, when in _methods(cls):
            _parameters(getattr(cls, name), f"{cls.__qualname__}.{name}", bound=_is_instance_method(cls, name))
        _add(cls.__qualname__, _Entry(cls.component, cls, on_fail=cls.on_fail))


def user_checks_for(component: str) -> list[CheckSpec]:
    """The user-defined checks registered for ``component``, in definition order."""
    with _lock:
        entries = [(key, e) for key, found in _registry.items() for e in found]
    specs = []
    for key, entry in entries:
        if entry.component != component:
            continue
        if isinstance(entry.target, type):
            specs += _class_specs(entry.target, entry.on_fail)
        else:
            specs.append(_spec(key, entry.target, entry.when, entry.on_fail))
    return specs


def resolve(spec_id: str) -> Optional[Callable]:
    """The function behind a user check id, for specs read back from JSON (which carry no code)."""
    with _lock:
        entries = [e for found in _registry.values() for e in found]
    components = {e.component for e in entries}
    for component in components:
        for spec in user_checks_for(component):
            if spec.id == spec_id:
                return spec.func
    return None


def display_name(func: Callable) -> str:
    return getattr(func, "_plumbline_name", None) or getattr(func, "__name__", repr(func))


def clear(component: Optional[str] = None) -> None:
    """Forget registered checks (all, or one component's), e.g. when a component is untagged."""
    with _lock:
        for key in list(_registry):
            kept = [e for e in _registry[key] if component is not None and e.component != component]
            if kept:
                _registry[key] = kept
            else:
                del _registry[key]


def _add(key: str, entry: _Entry) -> None:
    with _lock:
        # One entry per (name, component): re-running a cell replaces its checks, and
        # checks of the same name for other components (a `Checks` class per component,
        # a `no_nulls` for two components) stay.
        found = [e for e in _registry.get(key, []) if e.component != entry.component] + [entry]
        _registry[key] = found


def _validate(component, when, on_fail):
    if not isinstance(component, str) or not component:
        raise TypeError(f"component must be a non-empty name, got {component!r}")
    if when not in WHEN:
        raise ValueError(f"when must be 'before' or 'after', got {when!r}")
    if on_fail not in ON_FAIL:
        raise ValueError(f"on_fail must be 'warn' or 'block', got {on_fail!r}")


def _parameters(func: Callable, name: str, bound: bool = False) -> list[str]:
    """The notebook variables ``func`` receives; refuses signatures that cannot be filled by name."""
    params = list(inspect.signature(func).parameters.values())
    if bound:
        params = params[1:]  # self
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError(f"check {name}: parameter {p.name!r} cannot be filled from a notebook "
                            "variable; use plain named parameters")
    return [p.name for p in params]


def _methods(cls) -> list[tuple[str, str]]:
    """(method name, when) in definition order, base classes first, overrides in place."""
    seen: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if not (callable(value) or isinstance(value, (staticmethod, classmethod))):
                continue
            if name.startswith("before_"):
                seen[name] = "before"
            elif name.startswith(("test_", "after_")):
                seen[name] = "after"
    return list(seen.items())


def _is_instance_method(cls, name: str) -> bool:
    return not isinstance(inspect.getattr_static(cls, name), (staticmethod, classmethod))


def _class_specs(cls, on_fail: str) -> list[CheckSpec]:
    specs = []
    for name, when in _methods(cls):
        run = _method_runner(cls, name)
        specs.append(_spec(f"{cls.__qualname__}.{name}", run, when,
                           on_fail if when == "before" else "warn"))
    return specs


def _method_runner(cls, name: str) -> Callable:
    def run(**values):
        return getattr(cls(), name)(**values)

    method = getattr(cls, name)
    params = list(inspect.signature(method).parameters.values())
    if _is_instance_method(cls, name):
        params = params[1:]
    run.__signature__ = inspect.Signature(params)
    run.__name__ = name
    run.__qualname__ = f"{cls.__qualname__}.{name}"
    run._plumbline_name = f"{cls.__name__}.{name}"
    return run


def _spec(key: str, func: Callable, when: str, on_fail: str) -> CheckSpec:
    return CheckSpec(
        id=f"{USER}:{key}",
        check=USER,
        when=when,
        args=tuple(inspect.signature(func).parameters),
        params={},
        on_fail=on_fail,
        func=func,
    )
