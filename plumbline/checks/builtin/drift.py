"""The drift check: a component's output compared with its reference, so a scheduled run flags or blocks on drift.

The reference is the second variable when one is given (a DataFrame or a
``plumbline.Profile``); otherwise the component's reference run under its
drift policy (``kernel/monitoring.py``: the first run by default), whose stored
profile of the same variable is compared with the value now. The profile of
the value is the one the recorder stores for this run (computed once).
Statistics and thresholds are those of ``plumbline.drift`` (``monitoring/``).
"""

from __future__ import annotations

from ..errors import WrongInput
from ._inputs import num, pct, preview
from ._registry import Context, Outcome, builtin, column_list, fraction, number

MEASURES = ["wasserstein", "jensen_shannon", "psi", "hellinger", "ks"]
WAIT_FOR_PROFILES = 120.0  # seconds the check waits for earlier runs' profiles


@builtin(
    "drift",
    title="Drift",
    description=(
        "The data did not drift from the reference: the component's reference run (first run by default; "
        "see the component's drift settings) or a reference variable. Fails when more than max_drifted_share of "
        "the columns drifted (effect sizes against thresholds learned from the reference, never p-values)."
    ),
    args=("frame",),
    optional_args=("reference",),
    params={
        "max_drifted_share": fraction(0.0, "Largest share of drifted columns that still passes "
                                      "(0: any drifted column fails)."),
        "columns": column_list("Columns compared (null: all of them)."),
        "min_effect": number(None, "Smallest change of the verdict's measure that counts as drift, for every "
                             "column (null: the defaults, e.g. 0.05 std for numbers).", minimum=0, nullable=True),
        "numeric_measure": {"type": "string", "enum": MEASURES, "default": "wasserstein",
                            "description": "Measure judged for numeric columns."},
        "fail_on_schema": {"type": "boolean", "default": True,
                           "description": "Fail on missing, new or retyped columns."},
        "multivariate": {"type": "boolean", "default": False,
                         "description": "Also fail when the multivariate measure (PCA reconstruction) drifted."},
    },
)
def drift(ctx: Context) -> Outcome:
    from ...monitoring import multivariate
    from ...monitoring.drift import Options, compare
    from ...monitoring.profiles import Profile, profile

    options = Options(numeric_measure=ctx.params["numeric_measure"], min_effect=ctx.params["min_effect"],
                      columns=ctx.params["columns"])
    value = ctx.values[0]
    if isinstance(value, Profile):
        current, frame = value, None
    else:
        frame = _frame(ctx, 0)
        current = None
    reference_label = None
    if len(ctx.values) > 1:
        ref = ctx.values[1]
        reference = ref if isinstance(ref, Profile) else profile(_frame(ctx, 1), threads=1)
        reference_label = f"'{ctx.name(1)}'"
        if current is None:
            current = profile(frame, threads=1, multivariate=False)
    else:
        from ...kernel import recorder

        active = recorder()
        run = active.monitor.current() if active is not None else None
        if run is None:
            raise WrongInput("no reference: outside a recorded component run the drift check needs the reference "
                             "as its second variable")
        # Earlier runs' profiles may still be on the profiler's thread: the reference must be recorded.
        active.monitor.wait(WAIT_FOR_PROFILES)
        if current is None:
            current = active.monitor.profile_for(run.run_id, ctx.name(0), frame, ctx.values[0])
        found = active.monitor.reference_for(run, ctx.name(0))
        if found is None:
            rows = current.rows
            return Outcome(True, f"no reference run yet ({run.policy.reference} policy): this run's "
                           f"{num(rows)} rows of '{ctx.name(0)}' are the reference from now on",
                           {"status": "reference", "rows": rows})
        reference = found.profile
        reference_label = f"run {found.run_id[:8]} ({found.policy})"
    try:
        report = compare(reference, current, options)
    except KeyError as exc:
        raise WrongInput(str(exc.args[0] if exc.args else exc)) from None
    if ctx.params["multivariate"] and frame is not None and reference.multivariate is not None:
        report.multivariate = multivariate.compare(reference.multivariate, frame)
    drifted, judged = report.drifted, report.judged
    share = report.drifted_share
    problems = []
    if drifted and share > ctx.params["max_drifted_share"]:
        worst = ", ".join(f"{c.column} ({c.message})" for c in drifted[:3])
        more = f" and {len(drifted) - 3} more" if len(drifted) > 3 else ""
        problems.append(f"{len(drifted)} of {len(judged)} columns drifted from {reference_label} "
                        f"({pct(share)}, max {pct(ctx.params['max_drifted_share'])}): {worst}{more}")
    if ctx.params["fail_on_schema"] and report.schema_changes:
        problems.append("schema changed: " + preview(f"{c.column} {c.message}" for c in report.schema_changes))
    mv = report.multivariate or {}
    if ctx.params["multivariate"] and mv.get("drift"):
        problems.append(f"multivariate drift: {mv['message']}")
    details = {"status": report.status, "drifted": [c.column for c in drifted][:20], "drifted_share": share,
               "judged": len(judged), "schema_changes": [c.column for c in report.schema_changes][:20],
               "reference": reference_label, "rows": report.current_rows, "reference_rows": report.reference_rows,
               "expected_false_alarms": report.expected_false_alarms}
    if problems:
        return Outcome(False, "; ".join(problems), details)
    if not judged:
        return Outcome(True, f"no column could be judged against {reference_label}: "
                       + preview(f"{c.column} ({c.message})" for c in report.columns), details)
    return Outcome(True, f"{len(drifted)} of {len(judged)} columns drifted from {reference_label} "
                   f"({pct(share)}, max {pct(ctx.params['max_drifted_share'])})", details)


def _frame(ctx: Context, index: int):
    from ...monitoring.kinds import as_frame

    try:
        return as_frame(ctx.values[index], ctx.name(index))
    except TypeError as exc:
        raise WrongInput(str(exc)) from None
