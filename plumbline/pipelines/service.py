"""What a user can do with pipelines, in one place: the CLI, the REST handlers and the scheduler call this.

``Pipelines(store, root)`` — preview and create from a notebook's cells, list,
show, run now, backfill, pause/resume, edit the schedule, check and apply
"out of date", delete, read a task's log. Every refusal is a
``PipelineError`` whose message says what to do; ``status`` is the HTTP code
the REST API answers with (the CLI prints the message and exits non-zero).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from typing import Any, Optional

from .. import __version__
from ..store import Store
from ..store.pipelines import PipelineExists
from . import cron
from .codegen import ModuleError, modules, read_module
from .compiler import Compiled, compile_range
from .models import CATCHUP_POLICIES, INTERVAL_NAMES, PipelineSpec, Problem, Retry, Schedule, name_problem
from .spec import SPEC_FILE, Layout, PathError, SpecError, inside, load, write

MAX_LOG_BYTES = 1 << 20


class PipelineError(Exception):
    def __init__(self, message: str, status: int = 400, problems: Optional[list] = None):
        super().__init__(message)
        self.status = status
        self.problems = problems or []


def now_iso() -> str:
    return datetime.now(dt_timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- options, validated the same way for the CLI and the REST API ---------------------------------


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PipelineError(f"'{name}' must be a whole number between {low} and {high}.")
    if not low <= value <= high:
        raise PipelineError(f"'{name}' must be between {low} and {high}, not {value}.")
    return value


def _number(value: Any, name: str, low: float, high: float, *, allow_none: bool = False) -> Optional[float]:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise PipelineError(f"'{name}' must be a number of seconds between {low:g} and {high:g}.")
    if not low <= value <= high:
        raise PipelineError(f"'{name}' must be between {low:g} and {high:g} seconds, not {value:g}.")
    return float(value)


def schedule_of(options: dict, current: Optional[Schedule] = None) -> tuple[Schedule, list[Problem]]:
    """The schedule in ``options`` (cron, timezone, catchup, catchup_limit, max_active_runs) and its problems."""
    base = current or Schedule()
    problems: list[Problem] = []
    cron_expr = options.get("cron", base.cron)
    tz = options.get("timezone", base.timezone) or "UTC"
    try:
        cron.zone(tz)
    except cron.ScheduleError as exc:
        problems.append(Problem("invalid_timezone", "error", str(exc), "Pick an IANA timezone, e.g. Europe/Berlin."))
        tz = base.timezone if isinstance(base.timezone, str) else "UTC"
    if cron_expr is not None:
        try:
            cron_expr = cron.normalize_cron(cron_expr)
        except cron.ScheduleError as exc:
            problems.append(Problem("invalid_cron", "error", str(exc),
                                    "Write five fields: minute hour day-of-month month day-of-week."))
            cron_expr = None
    catchup = options.get("catchup", base.catchup)
    if catchup not in CATCHUP_POLICIES:
        problems.append(Problem("invalid_catchup", "error", f"Catch-up must be one of none, latest, all; not "
                                                             f"{str(catchup)[:40]!r}.", "Choose none, latest or all."))
        catchup = base.catchup
    try:
        limit = _int(options.get("catchup_limit", base.catchup_limit), "catchup_limit", 1, 1000)
        active = _int(options.get("max_active_runs", base.max_active_runs), "max_active_runs", 1, 100)
    except PipelineError as exc:
        problems.append(Problem("invalid_option", "error", str(exc), "Give a whole number."))
        limit, active = base.catchup_limit, base.max_active_runs
    return Schedule(cron=cron_expr, timezone=tz, catchup=catchup, catchup_limit=limit, max_active_runs=active), problems


def retry_of(options: dict, current: Optional[Retry] = None) -> Retry:
    base = current or Retry()
    return Retry(
        retries=_int(options.get("retries", base.retries), "retries", 0, 100),
        retry_delay_seconds=_number(options.get("retry_delay_seconds", base.retry_delay_seconds),
                                    "retry_delay_seconds", 0, 86400),
        timeout_seconds=_number(options.get("timeout_seconds", base.timeout_seconds), "timeout_seconds", 0.001,
                                604800, allow_none=True),
    )


def coerce_params(spec: PipelineSpec, params: dict, *, from_text: bool = False) -> dict:
    """Parameter overrides checked against the spec's parameters (types as the parameters cell has them)."""
    known = {p.name: p for p in spec.parameters}
    out = {}
    for name, value in params.items():
        if name in INTERVAL_NAMES:
            raise PipelineError(f"'{name}' is set by each run (the data interval); give --logical-date instead.")
        if name not in known:
            names = ", ".join(sorted(known)) or "none: tag a cell 'parameters' to have some"
            raise PipelineError(f"The pipeline has no parameter {name!r} (its parameters: {names}).")
        p = known[name]
        if from_text and isinstance(value, str) and p.type != "str":
            try:
                value = json.loads(value)
            except ValueError:
                raise PipelineError(f"Parameter {name!r} is {p.type}; {value[:40]!r} is not one.") from None
        ok = {"int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
              "list": lambda v: isinstance(v, list), "dict": lambda v: isinstance(v, dict),
              "none": lambda v: True}[p.type]
        if not ok(value):
            raise PipelineError(f"Parameter {name!r} is {p.type} (default {p.default!r}); {str(value)[:40]!r} is not.")
        out[name] = float(value) if p.type == "float" else value
    return out


class Pipelines:
    def __init__(self, store: Store, root: str | Path, *, pipelines_dir: str = "pipelines",
                 restrict_paths: bool = True, runner_options: Any = None):
        self.store = store
        try:
            self.layout = Layout(root, Path(store.path).parent, pipelines_dir)
        except PathError as exc:
            raise PipelineError(str(exc)) from None
        self.restrict_paths = restrict_paths
        self.runner_options = runner_options

    # -- notebooks ---------------------------------------------------------------------------

    def notebook(self, path: Any, content: Optional[dict] = None) -> tuple[Any, str]:
        """(the notebook, its project-relative path): refuses paths outside the project."""
        import nbformat

        if not isinstance(path, str) or not path.strip():
            raise PipelineError("Name the notebook (its path in the project, e.g. examples/demo.ipynb).")
        try:
            full = inside(self.layout.root, path, "notebook")
        except PathError as exc:
            raise PipelineError(str(exc), 403) from None
        rel = self.layout.relative(full)
        if content is not None:
            try:
                nb = nbformat.from_dict(content)
                if not isinstance(nb.get("cells"), list):
                    raise ValueError("no cells")
            except Exception as exc:  # noqa: BLE001
                raise PipelineError(f"The notebook content is not a notebook ({exc}).") from None
            return nb, rel
        if not full.is_file():
            raise PipelineError(f"No notebook at {rel}.", 404)
        try:
            return nbformat.read(full, as_version=4), rel
        except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
            raise PipelineError(f"{rel} cannot be read as a notebook ({type(exc).__name__}: {exc}).") from None

    def _artifacts_option(self, value: Any) -> Optional[str]:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > 2048:
            raise PipelineError("'artifacts' must be a folder or an fsspec URL (e.g. s3://bucket/plumbline).")
        if "://" in value and not value.startswith("file://"):
            return value
        if self.restrict_paths:
            try:
                return str(inside(self.layout.root, value[7:] if value.startswith("file://") else value,
                                  "artifacts folder"))
            except PathError as exc:
                raise PipelineError(str(exc), 403) from None
        return str(Path(value[7:] if value.startswith("file://") else value).expanduser().resolve())

    # -- compile, preview, create --------------------------------------------------------------

    def compile(self, notebook: str, *, name: Any, cells: Optional[str] = None, cell_ids: Optional[list] = None,
                options: Optional[dict] = None, kernel: Optional[dict] = None, content: Optional[dict] = None,
                exclude_existing: bool = True, keep: Optional[PipelineSpec] = None) -> Compiled:
        options = options or {}
        nb, rel = self.notebook(notebook, content)
        schedule, schedule_problems = schedule_of(options, keep.schedule if keep else None)
        retry = retry_of(options, keep.tasks[0].retry if keep else None)
        parallelism = _int(options.get("parallelism", keep.parallelism if keep else 2), "parallelism", 1, 64)
        reuse = options.get("reuse", keep.reuse if keep else False)
        if not isinstance(reuse, bool):
            raise PipelineError("'reuse' must be true or false.")
        artifacts = self._artifacts_option(options.get("artifacts", keep.artifacts if keep else None))
        existing = [p["name"] for p in self.store.pipelines()] if exclude_existing else []
        recorded = self.store.recorded_cells(rel, [c.get("id") for c in nb.cells if c.get("id")])
        environment = None
        if isinstance(kernel, dict) and isinstance(kernel.get("packages"), dict):
            environment = {"python": kernel.get("python"), "packages": kernel["packages"], "source": "kernel"}
        compiled = compile_range(nb, rel, name=name, cells=cells, cell_ids=cell_ids, schedule=schedule, retry=retry,
                                 parallelism=parallelism, reuse=reuse, artifacts=artifacts, existing_names=existing,
                                 recorded=recorded, kernel=kernel, environment=environment, now_iso=now_iso(),
                                 plumbline_version=__version__, schedule_problems=schedule_problems)
        if compiled.spec is not None and keep is not None:
            # An update keeps the pipeline's own settings and each surviving task's retries.
            retries = {t.name: t.retry for t in keep.tasks}
            tasks = tuple(replace(t, retry=retries.get(t.name, t.retry)) for t in compiled.spec.tasks)
            compiled.spec = compiled.spec.with_(tasks=tasks, created_at=keep.created_at)
        if compiled.spec is not None and environment is not None:
            # The kernel knows the versions of what it imported; fill in the rest from this process.
            from .compiler import environment_of

            imports = sorted(set().union(*(t.imports for t in compiled.spec.tasks)))
            mine = environment_of(imports)["packages"]
            merged = {**{k: v for k, v in mine.items()}, **environment["packages"]}
            compiled.spec = compiled.spec.with_(environment={**environment, "packages": {k: merged.get(k) for k in imports
                                                                                          if k in merged}})
        return compiled

    def preview(self, notebook: str, *, name: Any, cells: Optional[str] = None, cell_ids: Optional[list] = None,
                options: Optional[dict] = None, kernel: Optional[dict] = None, content: Optional[dict] = None,
                now: Optional[float] = None) -> dict:
        """What the dialog shows before anything is written."""
        compiled = self.compile(notebook, name=name, cells=cells, cell_ids=cell_ids, options=options, kernel=kernel,
                                content=content)
        return preview_payload(compiled, options or {}, now=now)

    def create(self, notebook: str, *, name: Any, cells: Optional[str] = None, cell_ids: Optional[list] = None,
               options: Optional[dict] = None, kernel: Optional[dict] = None, content: Optional[dict] = None) -> dict:
        """Promote: write the spec and modules and register the schedule; nothing is written if a problem is an error."""
        if name is None:
            raise PipelineError("Name the pipeline: a Python identifier such as weekly_scoring.")
        compiled = self.compile(notebook, name=name, cells=cells, cell_ids=cell_ids, options=options, kernel=kernel,
                                content=content)
        if not compiled.ok:
            errors = compiled.errors
            status = 409 if any(p.code == "name_exists" for p in errors) else 400
            raise PipelineError(f"Not promoted: {errors[0].message} {errors[0].fix}" +
                                (f" ({len(errors) - 1} more problem(s))" if len(errors) > 1 else ""), status,
                                [p.to_json() for p in compiled.problems])
        spec = compiled.spec
        folder = self.layout.folder(spec.name)
        if folder.exists() and not _only_generated(folder):
            raise PipelineError(f"{self.layout.relative(folder)} exists and holds other files; move it, or choose "
                                "another name.", 409)
        now = time.time()
        schedule = spec.schedule
        next_fire = cron.CronSchedule(schedule.cron, schedule.timezone).next_after(now) if schedule.cron else None
        try:
            pipeline_id = self.store.create_pipeline(
                name=spec.name, folder=self.layout.relative(folder), notebook_path=spec.notebook, spec_hash="",
                cron=schedule.cron, timezone=schedule.timezone, catchup=schedule.catchup,
                catchup_limit=schedule.catchup_limit, max_active_runs=schedule.max_active_runs,
                tasks=_task_rows(spec), environment=spec.environment, cursor=now, next_fire_at=next_fire)
        except PipelineExists:
            raise PipelineError(f"A pipeline named {spec.name!r} exists already; choose another name.", 409) from None
        try:
            digest = write(self.layout, spec, modules(spec, compiled.sources))
        except Exception as exc:
            self.store.delete_pipeline(pipeline_id)
            raise PipelineError(f"The pipeline's files could not be written to {self.layout.relative(folder)} "
                                f"({exc}).", 500) from exc
        self.store.update_pipeline(pipeline_id, spec_hash=digest)
        return {"pipeline": self.summary(self.store.pipeline(spec.name)), "problems": [p.to_json() for p in
                                                                                      compiled.problems],
                "notes": [n.to_json() for n in compiled.notes], "spec": spec.to_json()}

    # -- reading -----------------------------------------------------------------------------------

    def row(self, name: Any) -> dict:
        problem = name_problem(name)
        if problem:
            raise PipelineError(problem)
        row = self.store.pipeline(name)
        if row is None:
            raise PipelineError(f"No pipeline named {name!r}; `plumbline pipelines list` shows them.", 404)
        return row

    def spec(self, name: str) -> tuple[PipelineSpec, str]:
        try:
            return load(self.layout, name)
        except SpecError as exc:
            raise PipelineError(str(exc), 422) from None

    def summary(self, row: dict) -> dict:
        runs = self.store.pipeline_runs(row["id"], limit=1)
        return {
            "id": row["id"], "name": row["name"], "notebook": row["notebook_path"], "folder": row["folder"],
            "cron": row["cron"], "timezone": row["timezone"], "catchup": row["catchup"],
            "catchup_limit": row["catchup_limit"], "max_active_runs": row["max_active_runs"],
            "paused": bool(row["paused"]), "description": cron.describe(row["cron"]) if row["cron"] else None,
            "next_fire_at": cron.iso_utc(row["next_fire_at"]) if row["next_fire_at"] and not row["paused"] else None,
            "tasks": row["tasks"], "problem": row["problem"],
            "last_run": _run_json(runs[0]) if runs else None,
            "created_at": cron.iso_utc(row["created_at"]), "updated_at": cron.iso_utc(row["updated_at"]),
        }

    def list(self) -> list[dict]:
        return [self.summary(r) for r in self.store.pipelines()]

    def show(self, name: str, runs: int = 20) -> dict:
        row = self.row(name)
        out = self.summary(row)
        try:
            spec, digest = load(self.layout, name)
            out["spec"] = spec.to_json()
            out["spec_problem"] = None
            out["edited_by_hand"] = bool(row["spec_hash"]) and digest != row["spec_hash"]
            out["next_fire_times"] = cron.preview(row["cron"], row["timezone"])["next"] if row["cron"] else []
        except SpecError as exc:
            out["spec"], out["spec_problem"], out["edited_by_hand"], out["next_fire_times"] = None, str(exc), None, []
        out["runs"] = []
        for r in self.store.pipeline_runs(row["id"], limit=runs):
            item = _run_json(r)
            item["tasks"] = [_task_json(t) for t in self.store.task_runs(r["id"])]
            out["runs"].append(item)
        return out

    # -- out of date ---------------------------------------------------------------------------------

    def diff(self, name: str, content: Optional[dict] = None) -> dict:
        """Which tasks' cells differ between the notebook and the pipeline (code hash pinned in the spec)."""
        row = self.row(name)
        spec, _ = self.spec(name)
        nb, _ = self.notebook(spec.notebook, content)
        cells = {c.get("id"): c for c in nb.cells}
        from ..store.runs import code_hash

        def changes_of(refs, pinned_sources):
            out = []
            for ref, pinned in zip(refs, pinned_sources):
                cell = cells.get(ref.id)
                if cell is None:
                    out.append({"cell_id": ref.id, "index": ref.index, "change": "deleted",
                                "pipeline_code": pinned, "notebook_code": None})
                    continue
                src = "".join(cell.source) if isinstance(cell.source, list) else cell.source
                if code_hash(src) != ref.code_hash:
                    out.append({"cell_id": ref.id, "index": ref.index, "change": "changed",
                                "pipeline_code": pinned, "notebook_code": src})
            return out

        folder = self.layout.folder(name)
        tasks, prelude_changes = [], []
        for t in spec.tasks:
            try:
                prelude, task_cells = read_module(folder / t.module, spec, t)
            except ModuleError as exc:
                raise PipelineError(str(exc), 422) from None
            if not prelude_changes:
                prelude_changes = changes_of(spec.prelude, [c.source for c in prelude])
            ch = changes_of(t.cells, [c.source for c in task_cells])
            if ch:
                tasks.append({"task": t.name, "changes": ch})
        pinned = {ref.id for t in spec.tasks for ref in t.cells} | {ref.id for ref in spec.prelude}
        order = [c.get("id") for c in nb.cells]
        added = []
        if spec.cells and spec.cells[0] in order and spec.cells[-1] in order:
            lo, hi = order.index(spec.cells[0]), order.index(spec.cells[-1])
            for position in range(lo, hi + 1):
                c = nb.cells[position]
                src = "".join(c.source) if isinstance(c.source, list) else c.source
                if c.get("cell_type") == "code" and src.strip() and c.get("id") not in pinned:
                    added.append({"cell_id": c.get("id"), "index": position + 1, "change": "added",
                                  "pipeline_code": None, "notebook_code": src})
        return {"name": row["name"], "out_of_date": bool(tasks or prelude_changes or added), "tasks": tasks,
                "prelude": prelude_changes, "added": added}

    def update(self, name: str, content: Optional[dict] = None, kernel: Optional[dict] = None) -> dict:
        """Recompile the pipeline's range of cells from the notebook as it is now; keep its settings."""
        row = self.row(name)
        spec, _ = self.spec(name)
        nb, _ = self.notebook(spec.notebook, content)
        order = [c.get("id") for c in nb.cells]
        ids = [i for i in spec.cells if i in order]
        if not ids:
            raise PipelineError(f"None of the promoted cells of {name!r} is in {spec.notebook} any more; promote "
                                "the cells again under a new name, or delete the pipeline.", 409)
        lo, hi = order.index(ids[0]), order.index(ids[-1])
        before = {t.name: t.code_hash for t in spec.tasks}
        compiled = self.compile(spec.notebook, name=name, cell_ids=order[lo:hi + 1], kernel=kernel, content=content,
                                exclude_existing=False, keep=spec,
                                options={"artifacts": spec.artifacts} if spec.artifacts else None)
        if not compiled.ok:
            errors = compiled.errors
            raise PipelineError(f"Not updated: {errors[0].message} {errors[0].fix}", 400,
                                [p.to_json() for p in compiled.problems])
        new = compiled.spec.with_(schedule=spec.schedule)
        digest = write(self.layout, new, modules(new, compiled.sources))
        self.store.update_pipeline(row["id"], spec_hash=digest, tasks=_task_rows(new), environment=new.environment,
                                   problem=None, notebook_path=new.notebook)
        changed = sorted(t.name for t in new.tasks if before.get(t.name) != t.code_hash)
        return {"pipeline": self.summary(self.store.pipeline(name)), "changed_tasks": changed,
                "removed_tasks": sorted(set(before) - {t.name for t in new.tasks}),
                "problems": [p.to_json() for p in compiled.problems], "spec": new.to_json()}

    # -- changing it --------------------------------------------------------------------------------

    def set_paused(self, name: str, paused: bool) -> dict:
        row = self.row(name)
        fields: dict = {"paused": paused}
        if not paused and row["paused"]:
            # Slots missed while paused are not caught up: resuming means "from now on".
            now = time.time()
            fields["cursor"] = now
            fields["next_fire_at"] = cron.CronSchedule(row["cron"], row["timezone"]).next_after(now) if row["cron"] \
                else None
        self.store.update_pipeline(row["id"], **fields)
        return self.summary(self.store.pipeline(name))

    def set_schedule(self, name: str, options: dict) -> dict:
        row = self.row(name)
        spec, _ = self.spec(name)
        schedule, problems = schedule_of(options, spec.schedule)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PipelineError(errors[0].message, 400, [p.to_json() for p in problems])
        new = spec.with_(schedule=schedule, updated_at=now_iso())
        digest = write(self.layout, new, modules(new, self._module_sources(spec)))
        now = time.time()
        next_fire = cron.CronSchedule(schedule.cron, schedule.timezone).next_after(now) if schedule.cron else None
        cursor = now if (schedule.cron, schedule.timezone) != (row["cron"], row["timezone"]) else row["cursor"]
        self.store.update_pipeline(row["id"], spec_hash=digest, cron=schedule.cron, timezone=schedule.timezone,
                                   catchup=schedule.catchup, catchup_limit=schedule.catchup_limit,
                                   max_active_runs=schedule.max_active_runs, cursor=cursor, next_fire_at=next_fire,
                                   problem=None)
        return self.summary(self.store.pipeline(name))

    def _module_sources(self, spec: PipelineSpec) -> dict:
        """The cells the task modules hold now (to write them again unchanged)."""
        sources = {}
        folder = self.layout.folder(spec.name)
        for t in spec.tasks:
            try:
                prelude, cells = read_module(folder / t.module, spec, t)
            except ModuleError as exc:
                raise PipelineError(str(exc), 422) from None
            for c in (*prelude, *cells):
                sources[c.id] = {"source": c.source, "metadata": c.metadata}
        return sources

    def delete(self, name: str, *, keep_files: bool = False) -> dict:
        row = self.row(name)
        self.store.delete_pipeline(row["id"])
        folder = self.layout.folder(name)
        removed = False
        if not keep_files and folder.is_dir() and _only_generated(folder):
            shutil.rmtree(folder)
            removed = True
        return {"name": name, "deleted": True, "files_removed": removed,
                "kept": "its runs, task runs and lineage stay in the store"}

    # -- running ----------------------------------------------------------------------------------------

    def trigger(self, name: str, params: Optional[dict] = None, logical_date: Optional[float] = None, *,
                from_text: bool = False) -> dict:
        """A manual run, queued (the scheduler, or ``execute``, runs it)."""
        row = self.row(name)
        spec, digest = self.spec(name)
        overrides = coerce_params(spec, params or {}, from_text=from_text)
        logical = time.time() if logical_date is None else logical_date
        start, end = cron.data_interval(spec.schedule.cron, spec.schedule.timezone, logical)
        run_id, _ = self.store.create_run(row["id"], trigger="manual", logical_date=logical, data_interval_start=start,
                                          data_interval_end=end, params=overrides, spec_hash=digest)
        return _run_json(self.store.pipeline_run(run_id))

    def backfill(self, name: str, start: Any, end: Any) -> dict:
        """Runs for every fire slot in [start, end] that has none yet (at most 1000)."""
        row = self.row(name)
        spec, digest = self.spec(name)
        if not spec.schedule.cron:
            raise PipelineError(f"{name!r} has no schedule, so it has no slots to backfill; give it one "
                                "(plumbline pipelines schedule) or run it with --logical-date.")
        try:
            a = cron.parse_instant(start, spec.schedule.timezone)
            b = cron.parse_instant(end, spec.schedule.timezone)
        except cron.ScheduleError as exc:
            raise PipelineError(str(exc)) from None
        if b < a:
            raise PipelineError("The backfill's end is before its start.")
        if b > time.time():
            raise PipelineError("A backfill covers the past; its end is in the future (the scheduler runs "
                                "future slots).")
        schedule = cron.CronSchedule(spec.schedule.cron, spec.schedule.timezone)
        slots, dropped = schedule.slots_between(a - 1, b, 1000)
        if dropped:
            raise PipelineError(f"The range holds more than 1000 fire slots ({len(slots) + dropped}); backfill a "
                                "shorter range at a time.")
        if not slots:
            raise PipelineError("No fire slot of the schedule falls in that range.")
        rows = [(s, s, schedule.previous_before(s), s) for s in slots]
        created = self.store.insert_slot_runs(row["id"], rows, trigger="backfill", spec_hash=digest)
        return {"name": name, "slots": len(slots), "created": [_run_json(self.store.pipeline_run(r)) for r in created],
                "skipped": len(slots) - len(created)}

    def execute(self, run_id: str, owner: Optional[str] = None, *, take_over: Optional[str] = None,
                on_change: Any = None, register: Any = None) -> str:
        """Claim a queued run (or take over a dead owner's) and run it here, to the end."""
        from .runner import PipelineRunner, owner_id

        owner = owner or owner_id()
        run = self.store.pipeline_run(run_id)
        if run is None:
            raise PipelineError(f"No pipeline run {run_id}.", 404)
        if not self.store.claim_run(run_id, owner, take_over=take_over):
            raise PipelineError(f"Run {run_id[:8]} is not waiting to run (it is {run['status']}).", 409)
        pipeline = self.store.pipeline_by_id(run["pipeline_id"])
        try:
            spec, _ = load(self.layout, pipeline["name"])
        except (SpecError, PathError) as exc:
            self.store.finish_pipeline_run(run_id, "error", error=str(exc), owner=owner)
            return "error"
        runner = PipelineRunner(self.store, self.layout, spec, pipeline, self.store.pipeline_run(run_id), owner,
                                self.runner_options, on_change=on_change)
        if register is not None:
            register(runner)
        return runner.run()

    def run_external(self, name: str, task: str, *, logical_date: float, external_id: str, attempt: int = 1,
                     max_attempts: int = 1, params: Optional[dict] = None) -> tuple[str, dict]:
        """One task of a run that Airflow orders (``plumbline pipelines run-task``): (outcome, the run).

        Every Airflow task of one DAG run finds the same pipeline run (keyed by Airflow's run id),
        with the data interval computed from the pipeline's own schedule, as the embedded scheduler does.
        """
        from .runner import PipelineRunner, owner_id

        row = self.row(name)
        spec, digest = self.spec(name)
        if task not in {t.name for t in spec.tasks}:
            raise PipelineError(f"Pipeline {name!r} has no task {task!r} (its tasks: "
                                f"{', '.join(t.name for t in spec.tasks)}); export the DAG again.", 404)
        overrides = coerce_params(spec, params or {})
        start, end = cron.data_interval(spec.schedule.cron, spec.schedule.timezone, logical_date)
        run_id, _ = self.store.create_run(row["id"], trigger="airflow", logical_date=logical_date,
                                          data_interval_start=start, data_interval_end=end, params=overrides,
                                          spec_hash=digest, external_id=external_id)
        self.store.mark_run_started(run_id)
        runner = PipelineRunner(self.store, self.layout, spec, row, self.store.pipeline_run(run_id), owner_id(),
                                self.runner_options)
        outcome = runner.run_one(task, attempt, max_attempts)
        return outcome, self.store.pipeline_run(run_id)

    def log(self, name: str, run_id: str, task: str, offset: int = 0) -> dict:
        row = self.row(name)
        run = self.store.pipeline_run(run_id)
        if run is None or run["pipeline_id"] != row["id"]:
            raise PipelineError(f"Pipeline {name!r} has no run {run_id}.", 404)
        task_row = next((t for t in self.store.task_runs(run_id) if t["task"] == task), None)
        if task_row is None:
            raise PipelineError(f"Run {run_id[:8]} of {name!r} has no task {task!r}.", 404)
        if not task_row["log_path"]:
            return {"text": "", "offset": 0, "size": 0, "complete": task_row["status"] not in ("running", "pending")}
        path = inside(self.layout.store_dir, task_row["log_path"], "log")
        try:
            size = path.stat().st_size
            with open(path, "rb") as f:
                f.seek(min(offset, size))
                data = f.read(MAX_LOG_BYTES)
        except FileNotFoundError:
            return {"text": "", "offset": 0, "size": 0, "complete": True, "missing": True}
        return {"text": data.decode("utf-8", "replace"), "offset": min(offset, size) + len(data), "size": size,
                "complete": task_row["status"] not in ("running", "pending", "up_for_retry")}


def preview_payload(compiled: Compiled, options: dict, now: Optional[float] = None) -> dict:
    spec = compiled.spec
    sched = spec.schedule if spec else schedule_of(options)[0]
    return {
        "ok": compiled.ok,
        "name": spec.name if spec else None,
        "notebook": spec.notebook if spec else None,
        "cells": compiled.cells,
        "dag": compiled.dag(),
        "problems": [p.to_json() for p in compiled.problems],
        "notes": [n.to_json() for n in compiled.notes],
        "parameters": [{"name": p.name, "type": p.type, "default": p.default} for p in spec.parameters] if spec else [],
        "interval": list(INTERVAL_NAMES),
        "schedule": cron.preview(sched.cron, sched.timezone, now=now) if sched.cron else
        {"valid": True, "error": None, "cron": None, "timezone": sched.timezone, "description": "Runs only when asked",
         "next": [], "airflow": True},
        "catchup": sched.catchup, "catchup_limit": sched.catchup_limit, "max_active_runs": sched.max_active_runs,
        "environment": spec.environment if spec else None,
        "spec": spec.to_json() if spec else None,
    }


def _only_generated(folder: Path) -> bool:
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).as_posix()
        if rel in (SPEC_FILE, "tasks", "tasks/__pycache__") or (rel.startswith("tasks/") and rel.endswith((".py", ".pyc"))):
            continue
        return False
    return True


def _task_rows(spec: PipelineSpec) -> list:
    return [{"name": t.name, "upstream": list(t.upstream)} for t in spec.tasks]


def _run_json(r: dict) -> dict:
    iso = lambda v: cron.iso_utc(v) if v is not None else None  # noqa: E731
    return {"id": r["id"], "trigger": r["trigger"], "status": r["status"], "slot": iso(r["slot"]),
            "logical_date": iso(r["logical_date"]), "data_interval_start": iso(r["data_interval_start"]),
            "data_interval_end": iso(r["data_interval_end"]), "params": r["params"], "error": r["error"],
            "environment_diff": r["environment_diff"], "external_id": r["external_id"],
            "created_at": iso(r["created_at"]), "started_at": iso(r["started_at"]), "ended_at": iso(r["ended_at"])}


def _task_json(t: dict) -> dict:
    iso = lambda v: cron.iso_utc(v) if v is not None else None  # noqa: E731
    return {"id": t["id"], "task": t["task"], "status": t["status"], "attempts": t["attempts"],
            "max_attempts": t["max_attempts"], "error_name": t["error_name"], "error_value": t["error_value"],
            "reused_from": t["reused_from"], "started_at": iso(t["started_at"]), "ended_at": iso(t["ended_at"]),
            "duration_ms": t["duration_ms"], "environment_diff": t["environment_diff"],
            "outputs": {k: {"type": v.get("ref", {}).get("type"), "format": v.get("ref", {}).get("format"),
                            "io_id": v.get("io_id")} for k, v in (t["outputs"] or {}).items()}}
