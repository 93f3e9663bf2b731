"""Exceptions shared by the checks library and the kernel hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # results imports nothing heavy, but keep this module dependency-free
    from .results import CheckResult


class WrongInput(Exception):
    """A built-in check got a value it cannot judge (wrong type, unparsable column).

    The runner reports it as status "error" with this message alone: the traceback would only
    point into Plumbline, while the message tells the user what to change.
    """


class CheckBlocked(Exception):
    """Stops a cell whose blocking before-check failed, before any of the cell's code runs.

    Takes the blocking CheckResult, or a ready message (the kernel hook raises it from code it
    generates, where a message constant is what it can embed).
    """

    def __init__(self, result: "CheckResult | str"):
        self.result = None if isinstance(result, str) else result
        if isinstance(result, str):
            text = result
        else:
            reason = result.message
            prefix = f"{result.name}: "
            if reason.startswith(prefix):
                reason = reason[len(prefix):]
            outcome = "failed" if result.status == "fail" else "could not run"
            text = f"before-check {result.name} {outcome}: {reason}"
        super().__init__(text)

    def __reduce__(self):
        # Exception pickles self.args (the text); headless task processes need the result back.
        return (type(self), (self.result if self.result is not None else str(self),))

    def _render_traceback_(self):
        # IPython shows these lines instead of a traceback into Plumbline's hook, which would
        # only bury the message the user needs.
        return [f"CheckBlocked: {self}",
                "Plumbline stopped this cell before any of its code ran."]


class MissingColumn(Exception):
    """A column a check is configured for is absent.

    That is a problem with the data (a schema change upstream), so the runner records a "fail",
    which a blocking before-check turns into a stopped cell, rather than an "error".
    """
