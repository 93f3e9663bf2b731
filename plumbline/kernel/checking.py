"""Runs a component's checks around its cells and stops a cell a blocking check failed.

IPython swallows exceptions raised in ``pre_run_cell`` callbacks, so a
blocked cell is stopped by an AST transformer that, for that one execution,
replaces the cell's body with ``raise CheckBlocked(message)``: none of the
user's code runs, and the message is the cell's error output.
"""

from __future__ import annotations

import ast
import time
from typing import Any, Callable, Optional

from ..store import CheckRecord
from .components import ComponentCell


class CheckRunner:
    def __init__(self, shell: Any, previous: Callable[[str, str], Optional[dict]],
                 warn: Callable[[str], None]):
        self.shell = shell
        self._previous = previous  # (component, spec_id) -> details of the last result
        self._warn = warn
        self._blocked: Optional[str] = None
        self._transformer = _BlockTransformer(self)
        shell.ast_transformers.append(self._transformer)

    def close(self) -> None:
        if self._transformer in self.shell.ast_transformers:
            self.shell.ast_transformers.remove(self._transformer)

    def run(self, component: ComponentCell, when: str) -> list[CheckRecord]:
        """Run ``when`` checks; on a blocking failure, arm the block for this cell."""
        from ..checks import CheckSpec, blocking_failure, run_checks, user_checks_for
        from ..checks.results import CheckResult

        specs, invalid = [], []
        for index, raw in enumerate(component.checks):
            try:
                specs.append(CheckSpec.from_json(raw))
            except ValueError as exc:
                invalid.append((raw, index, str(exc)))
        now = time.time()
        # An invalid check is recorded as an error (so the badge counts it), never silently skipped.
        invalid_results = [
            CheckResult(
                spec_id=str(raw.get("id") or f"invalid-{index}"), name=str(raw.get("check") or "check"),
                when=when, status="error", message=f"invalid check: {problem}", details={}, duration_ms=0.0,
                on_fail=raw.get("on_fail") if raw.get("on_fail") in ("warn", "block") else "warn",
            )
            for raw, index, problem in invalid
            if raw.get("when", "before") == when
        ]
        records = [CheckRecord.of(r, now) for r in invalid_results]
        for record in records:
            self._warn(f"Plumbline: a check of component '{component.name}' is invalid: {record.message}. "
                       "Fix it in the component dialog.")
        known = {spec.id for spec in specs}
        specs.extend(spec for spec in user_checks_for(component.name) if spec.id not in known)
        specs = [s for s in specs if s.when == when]
        if not specs:
            return records
        results = run_checks(
            specs, when, self.shell.user_ns, previous=lambda spec_id: self._previous(component.name, spec_id)
        )
        # A check that crashed is recorded as an error but never stops the cell:
        # only a check that ran and failed can block.
        blocker = blocking_failure(results, specs, include_errors=False) if when == "before" else None
        for result in results:
            # the blocker is reported once, as the cell's error
            if result.status != "pass" and (blocker is None or result.spec_id != blocker.spec_id):
                verb = "failed" if result.status == "fail" else "could not run"
                self._warn(f"Plumbline: {when}-check of '{component.name}' {verb}: {result.message}")
        if blocker is not None:
            self._blocked = (
                f"Component '{component.name}' is blocked by a before-check: {blocker.message}. "
                "Fix the input, or set this check to 'warn' in the component dialog."
            )
        return records + [CheckRecord.of(r, now) for r in results]

    def block(self, message: str) -> None:
        """Stop the cell about to run, with ``message`` as its error."""
        self._blocked = message

    def take_block(self) -> Optional[str]:
        message, self._blocked = self._blocked, None
        return message


class _BlockTransformer(ast.NodeTransformer):
    def __init__(self, runner: CheckRunner):
        self._runner = runner

    def visit_Module(self, node: ast.Module) -> ast.Module:
        message = self._runner.take_block()
        if message is None:
            return node
        # raise __import__("plumbline.checks", fromlist=["CheckBlocked"]).CheckBlocked(<message>)
        raise_stmt = ast.Raise(
            exc=ast.Call(
                func=ast.Attribute(
                    value=ast.Call(
                        func=ast.Name(id="__import__", ctx=ast.Load()),
                        args=[ast.Constant("plumbline.checks")],
                        keywords=[ast.keyword(arg="fromlist", value=ast.List(elts=[ast.Constant("CheckBlocked")], ctx=ast.Load()))],
                    ),
                    attr="CheckBlocked",
                    ctx=ast.Load(),
                ),
                args=[ast.Constant(message)],  # a constant node: the message is data, never code
                keywords=[],
            ),
            cause=None,
        )
        return ast.fix_missing_locations(ast.Module(body=[raise_stmt], type_ignores=[]))
