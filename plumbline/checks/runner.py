"""Running checks: a check can fail or be unable to run, but it never takes the cell down."""

from __future__ import annotations

import inspect
import time
import traceback
import warnings
from typing import Any, Callable, Iterable, Mapping, Optional

from . import user
from .builtin import BUILTINS, Context, Outcome
from .errors import MissingColumn, WrongInput
from .params import with_defaults
from .results import CheckResult, jsonable, one_line
from .spec import USER, WHEN, CheckSpec

_TRACEBACK_CHARS = 4000
_ERROR_KEYS = {"missing", "error", "exception", "exception_message", "traceback", "details_error"}


def run_checks(
    specs: Iterable[CheckSpec],
    when: str,
    namespace: Mapping[str, Any],
    previous: Callable[[str], Optional[dict]] = lambda spec_id: None,
) -> list[CheckResult]:
    """Run the specs whose ``when`` matches, on the variables of ``namespace`` they name.

    Statuses: "pass"; "fail" (the data is wrong: a built-in's verdict, or a user check's failed
    assert / False); "error" (the check could not judge: missing variable, wrong type, crash).
    Only KeyboardInterrupt and SystemExit propagate.
    """
    if when not in WHEN:
        raise ValueError(f"when must be 'before' or 'after', got {when!r}")
    return [_run_one(spec, namespace, previous) for spec in specs if spec.when == when]


def _run_one(spec: CheckSpec, namespace, previous) -> CheckResult:
    started = time.perf_counter()
    func = spec.func or (user.resolve(spec.id) if spec.check == USER else None)
    name = _name(spec, func)
    baseline = None
    try:
        if spec.check == USER:
            status, message, details = _run_user(spec, func, namespace)
        else:
            builtin = BUILTINS[spec.check]
            if builtin.uses_previous:
                found = previous(spec.id)
                baseline = found if isinstance(found, dict) else None
            status, message, details = _run_builtin(spec, builtin, namespace, baseline)
    except WrongInput as exc:
        status, message, details = "error", str(exc), {"error": "WrongInput"}
    except MissingColumn as exc:
        status, message, details = "fail", str(exc), {"missing_column": True}
    except Exception as exc:  # the check itself is broken; the cell must still run
        status, message, details = "error", _exception_text(exc), _exception_details(exc)
    if status == "error" and baseline:
        # A run that could not judge keeps what the previous run recorded (schema reference, last
        # timestamp, row count), so one missing variable does not reset the comparison.
        kept = {k: v for k, v in baseline.items() if k not in _ERROR_KEYS}
        details = {**kept, **details, "baseline_carried": True}
    return CheckResult(
        spec_id=spec.id,
        name=name,
        when=spec.when,
        status=status,
        message=one_line(f"{name}: {message}"),
        details=_safe_json(details),
        duration_ms=(time.perf_counter() - started) * 1000,
        on_fail=spec.on_fail,
    )


def _name(spec: CheckSpec, func) -> str:
    if spec.check != USER:
        return f"{spec.check}({', '.join(spec.args)})"
    if func is not None:
        return user.display_name(func)
    return spec.id.removeprefix(f"{USER}:")


def _run_builtin(spec, builtin, namespace, baseline):
    missing = [a for a in spec.args if a not in namespace]
    if missing:
        return "error", _missing_text(missing, "the names in its args"), {"missing": missing}
    ctx = Context(
        label=_name(spec, None),
        names=tuple(spec.args),
        values=tuple(namespace[a] for a in spec.args),
        params=with_defaults(builtin.params, spec.params),
        previous=baseline,
    )
    with warnings.catch_warnings():
        # pandas' parsing and dtype warnings would land in the user's cell output, from our code
        warnings.simplefilter("ignore")
        outcome: Outcome = builtin.run(ctx)
    return ("pass" if outcome.passed else "fail"), outcome.message, outcome.details


def _run_user(spec, func, namespace):
    if func is None:
        return "error", ("this user check is not defined in this kernel; run the cell that "
                         "defines it"), {}
    parameters = inspect.signature(func).parameters
    values, missing = {}, []
    for arg in spec.args:
        if arg in namespace:
            values[arg] = namespace[arg]
        elif arg not in parameters or parameters[arg].default is inspect.Parameter.empty:
            missing.append(arg)
    if missing:
        return "error", _missing_text(missing, "its parameter names"), {"missing": missing}
    try:
        returned = func(**values)
    except AssertionError as exc:
        return "fail", _assertion_text(exc), {"assertion": str(exc) or None}
    if inspect.isawaitable(returned):
        getattr(returned, "close", lambda: None)()  # no "never awaited" warning in the cell output
        return "error", "async checks are not supported; define the check with def", {}
    # `return df.notna().all().all()` is a natural way to write a check too; numpy bools included
    if returned is not None and type(returned).__name__ in ("bool", "bool_") and not returned:
        return "fail", "returned False", {}
    return "pass", "ok", {}


def _missing_text(missing: list, how: str) -> str:
    names = ", ".join(repr(m) for m in missing)
    plural = "s" if len(missing) > 1 else ""
    return (f"no notebook variable{plural} named {names}; a check receives notebook variables "
            f"by name ({how})")


def _assertion_text(exc: AssertionError) -> str:
    if str(exc):
        return str(exc)
    # A bare `assert x > 0` has no message: show the line that failed instead.
    frames = traceback.extract_tb(exc.__traceback__)
    line = frames[-1].line if frames else None
    return f"assertion failed: {line.strip()}" if line else "assertion failed"


def _exception_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _exception_details(exc: BaseException) -> dict:
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {
        "exception": type(exc).__name__,
        "exception_message": str(exc)[:_TRACEBACK_CHARS],
        "traceback": trace[-_TRACEBACK_CHARS:],
    }


def _safe_json(details) -> dict:
    try:
        value = jsonable(details if isinstance(details, dict) else {"value": details})
        return value if isinstance(value, dict) else {"value": value}
    except Exception as exc:  # details are a courtesy; never let them turn a verdict into a crash
        return {"details_error": _exception_text(exc)}
