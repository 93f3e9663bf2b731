"""Component checks: built-in data/model checks and user-defined tests, run before and after a
component's cells. Pure Python; pandas, numpy and scikit-learn are imported only when a check
that needs them runs, so importing this (and ``plumbline``) stays cheap in every kernel."""

from .builtin import catalog
from .errors import CheckBlocked
from .results import CheckResult, blocking_failure
from .runner import run_checks
from .spec import CheckSpec
from .user import ComponentTests, check, user_checks_for

__all__ = [
    "CheckBlocked",
    "CheckResult",
    "CheckSpec",
    "ComponentTests",
    "blocking_failure",
    "catalog",
    "check",
    "run_checks",
    "user_checks_for",
]
