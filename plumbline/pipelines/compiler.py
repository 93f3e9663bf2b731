"""Cells -> tasks: the one compiler behind the dialog's preview, ``pipelines create`` and ``update``.

How a range of cells becomes a DAG (the dialog shows every decision as a note):

1. **Tasks.** One task per component (``metadata.plumbline.component``).
   An untagged cell that only imports, defines functions or classes, or sets
   constants is part of the **prelude**, which every task runs first (a cell
   that read or wrote a file when it last ran does work, so it is not). The
   cell tagged ``parameters`` (papermill) belongs to the prelude too. Any
   other untagged cell **folds** into the component before it; untagged cells
   before the first component fold into the first one. A range without any
   component is one task, named after the notebook.
2. **Reads and writes** come from the one analyzer (``plumbline.analysis``).
   A task that calls a prelude function also reads what that function's body
   reads (globals read inside functions: ``statements.py``). An in-place
   mutation (``df["x"] = ...``, ``model.fit(X)``) is a write.
3. **Edges.** A name a task reads comes from the latest cell before it that
   writes it: in another task, an edge carrying that variable; in the
   prelude, nothing crosses; a parameter or the data interval
   (``logical_date``, ``data_interval_start``, ``data_interval_end``) is
   injected into every task. Nothing before it: a problem (*read before any
   definition*, or *defined outside the range*), with a fix.
4. **Recorded lineage wins** where it disagrees with static analysis: a
   variable a cell's latest recorded run (same code) read or wrote that the
   code does not show (``exec``, names from a star import, values written
   through ``globals()``, globals read inside functions of other modules) is
   added; a static read that the recorded run did not make and that nothing
   defines is not an error (the run shows the code does not need it); and the
   live kernel (``probe.crossing``) can report a variable whose value changed
   after the cell that recorded it (an alias or a function mutated it): the
   cell that read it in between is made its writer. Each is a note.
5. **Formats.** Each crossing variable gets the type seen (live kernel >
   recorded lineage > unknown) and the artifact format of that type; a value
   that cannot cross a process boundary (a generator, a lock, a connection)
   is a problem.

The compiler writes nothing: ``compile_range`` returns the spec, the modules'
sources and the problems; ``service.py`` writes the files when nothing is an error.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Iterable, Optional

from ..analysis import analyze
from ..analysis.statements import Statement, statements
from ..artifacts import format_for_type, uncrossable
from ..kernel.components import is_component_name
from ..store.runs import code_hash
from .graph import CycleError, topological_order
from .models import (
    INTERVAL_NAMES,
    CellRef,
    Note,
    Parameter,
    PipelineSpec,
    Problem,
    Retry,
    Schedule,
    TaskInput,
    TaskSpec,
    Variable,
    name_problem,
)

#: Calls that do work (I/O, training, the network) rather than set something up:
#: an assignment calling one of these is not a constant, so its cell is not prelude.
WORK_CALLS = frozenset({
    "open", "read_csv", "read_parquet", "read_json", "read_excel", "read_sql", "read_sql_query", "read_table",
    "read_feather", "read_pickle", "read_hdf", "read_orc", "read_fwf", "read_html", "read_xml", "read_table",
    "load", "loadtxt", "genfromtxt", "fromfile", "urlopen", "urlretrieve", "connect", "request", "get", "post",
    "download", "fetch", "to_csv", "to_parquet", "to_json", "to_excel", "to_sql", "to_pickle", "savefig", "save",
    "savez", "dump", "write", "write_text", "write_bytes", "read_text", "read_bytes", "system", "run", "Popen",
    "check_call", "check_output", "sleep", "fit", "fit_transform", "partial_fit", "train", "predict", "transform",
    "execute", "query", "display", "print", "input", "exec", "eval",
})
PLOT_CALLS = frozenset({"plot", "show", "figure", "subplots", "subplot", "hist", "scatter", "bar", "barh", "imshow",
                        "boxplot", "heatmap", "lineplot", "scatterplot", "histplot", "pairplot", "displot",
                        "catplot", "relplot", "pie", "violinplot"})
FILE_CALLS = frozenset({"to_csv", "to_parquet", "to_json", "to_excel", "to_sql", "to_pickle", "savefig", "save",
                        "savez", "dump", "write", "write_text", "write_bytes", "open"})


class RangeError(ValueError):
    """A cell range that cannot be read ("9-3", "x")."""


@dataclass
class _Cell:
    position: int  # 1-based in the notebook
    id: str
    source: str
    metadata: dict
    component: Optional[str]
    tags: tuple[str, ...]
    hash: str
    reads: set = field(default_factory=set)
    writes: set = field(default_factory=set)
    mutations: set = field(default_factory=set)
    imports: set = field(default_factory=set)
    calls: set = field(default_factory=set)
    statements: Optional[list[Statement]] = None
    error: Optional[str] = None
    role: str = "task"  # 'task' | 'prelude' | 'parameters'
    task: Optional[str] = None
    recorded: Optional[dict] = None  # the latest recorded run of this very code

    @property
    def ref(self) -> CellRef:
        return CellRef(id=self.id, index=self.position, code_hash=self.hash)

    @property
    def label(self) -> str:
        return f"cell {self.position}"


@dataclass
class _Task:
    name: str
    component: Optional[str]
    cells: list[_Cell] = field(default_factory=list)


@dataclass
class Compiled:
    """What the compiler says about a range: the spec (if it could build one), problems, notes."""

    spec: Optional[PipelineSpec]
    sources: dict[str, dict]  # cell id -> {"source", "metadata", "position"} of every cell a module needs
    problems: list[Problem]
    notes: list[Note]
    cells: list[int]  # positions of the code cells in the range

    @property
    def ok(self) -> bool:
        return self.spec is not None and not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def dag(self) -> dict:
        """The DAG as the dialog draws it."""
        if self.spec is None:
            return {"tasks": [], "edges": [], "prelude": [], "order": []}
        spec = self.spec
        edges: dict[tuple[str, str], list] = {}
        for t in spec.tasks:
            for i in t.inputs:
                edges.setdefault((i.task, t.name), []).append(
                    {"name": i.name, "type": i.type, "format": i.format, "seen": i.seen})
        return {
            "tasks": [{"name": t.name, "component": t.component, "cells": [c.index for c in t.cells],
                       "cell_ids": [c.id for c in t.cells], "upstream": list(t.upstream),
                       "inputs": [i.name for i in t.inputs], "outputs": [o.name for o in t.outputs],
                       "imports": list(t.imports), "reads_parameters": list(t.reads_parameters)}
                      for t in spec.tasks],
            "edges": [{"from": a, "to": b, "variables": v} for (a, b), v in edges.items()],
            "prelude": [c.index for c in spec.prelude],
            "order": topological_order({t.name: t.upstream for t in spec.tasks}),
        }


def parse_range(text: str, count: int) -> tuple[int, int]:
    """'3-9' (1-based, inclusive, counting every cell), '3', '3-' or '-9' -> (first, last)."""
    if not isinstance(text, str) or not re.fullmatch(r"\s*\d*\s*(-\s*\d*\s*)?", text) or not text.strip() \
            or text.strip() == "-":
        raise RangeError(f"{str(text)[:40]!r} is not a cell range; write first-last, e.g. 3-9 (cells counted "
                         "from 1, markdown cells included).")
    parts = [p.strip() for p in text.split("-")]
    first = int(parts[0]) if parts[0] else 1
    last = (int(parts[1]) if parts[1] else count) if len(parts) == 2 else first
    if first < 1 or last < first:
        raise RangeError(f"The range {text.strip()} is empty: write first-last with 1 <= first <= last.")
    if first > count:
        raise RangeError(f"The notebook has {count} cells; the range {text.strip()} starts after them.")
    return first, min(last, count)


def _cell_source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _tags(metadata: dict) -> tuple[str, ...]:
    tags = metadata.get("tags")
    return tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()


def _component_of(metadata: dict) -> Optional[str]:
    meta = metadata.get("plumbline")
    if isinstance(meta, dict) and is_component_name(meta.get("component")):
        return meta["component"]
    return None


def _task_name_for(notebook_path: str) -> str:
    stem = re.sub(r"\W+", "_", PurePosixPath(notebook_path).stem).strip("_") or "main"
    if stem[0].isdigit():
        stem = f"nb_{stem}"
    return stem if not name_problem(stem) else "main"


def compile_range(
    nb: Any,
    notebook_path: str,
    *,
    name: Optional[str],
    cells: Optional[str] = None,
    cell_ids: Optional[list[str]] = None,
    schedule: Optional[Schedule] = None,
    retry: Optional[Retry] = None,
    parallelism: int = 2,
    reuse: bool = False,
    artifacts: Optional[str] = None,
    existing_names: Iterable[str] = (),
    recorded: Optional[dict] = None,
    kernel: Optional[dict] = None,
    environment: Optional[dict] = None,
    now_iso: str = "",
    plumbline_version: str = "",
    schedule_problems: Iterable[Problem] = (),
) -> Compiled:
    """Compile a range of ``nb``'s cells (``cells`` '3-9', or ``cell_ids``; default: all of them).

    ``recorded``: ``Store.recorded_cells`` of the notebook; ``kernel``: the live kernel's
    ``probe.crossing`` answer for the variables that cross (optional).
    """
    problems: list[Problem] = list(schedule_problems)
    notes: list[Note] = []
    all_cells = list(nb.get("cells", []) if isinstance(nb, dict) else nb.cells)

    # -- the name -------------------------------------------------------------------------
    problem = name_problem(name) if name is not None else None  # the dialog previews before a name is typed
    if problem:
        problems.append(Problem("invalid_name", "error", problem, "Choose a name like weekly_scoring."))
    elif name in set(existing_names):
        problems.append(Problem("name_exists", "error", f"A pipeline named {name!r} exists already.",
                                f"Choose another name, or update {name!r} from the notebook instead."))

    # -- the range ----------------------------------------------------------------------
    if not all_cells:
        problems.append(Problem("empty_range", "error", "The notebook has no cells.", "Add cells, then promote them."))
        return Compiled(None, {}, problems, notes, [])
    if cell_ids is not None:
        wanted = [i for i in cell_ids if isinstance(i, str)]
        positions = [p for p, c in enumerate(all_cells, 1) if c.get("id") in set(wanted)]
        missing = [i for i in wanted if i not in {c.get("id") for c in all_cells}]
        if missing:
            problems.append(Problem("unknown_cells", "error",
                                    f"{len(missing)} selected cell(s) are not in the saved notebook "
                                    f"({', '.join(m[:12] for m in missing[:3])}).",
                                    "Save the notebook, then promote again."))
        if not positions:
            problems.append(Problem("empty_range", "error", "No cells are selected.", "Select the cells to promote."))
            return Compiled(None, {}, problems, notes, [])
        first, last = min(positions), max(positions)
    else:
        try:
            first, last = parse_range(cells, len(all_cells)) if cells else (1, len(all_cells))
        except RangeError as exc:
            problems.append(Problem("bad_range", "error", str(exc), "Give the range as first-last, e.g. 3-9."))
            return Compiled(None, {}, problems, notes, [])
    selected: list[_Cell] = []
    range_ids: list[str] = []
    for position in range(first, last + 1):
        raw = all_cells[position - 1]
        cell_id = raw.get("id") or f"cell-{position}"
        range_ids.append(cell_id)
        if raw.get("cell_type") != "code":
            continue
        source = _cell_source(raw)
        if not source.strip():
            continue
        metadata = dict(raw.get("metadata") or {})
        selected.append(_Cell(position=position, id=cell_id, source=source, metadata=metadata,
                              component=_component_of(metadata), tags=_tags(metadata), hash=code_hash(source)))
    if not selected:
        problems.append(Problem("no_code", "error", f"Cells {first}-{last} hold no code.",
                                "Select code cells (markdown and empty cells are skipped)."))
        return Compiled(None, {}, problems, notes, [])

    # -- analysis and recorded lineage ---------------------------------------------------
    for c in selected:
        a = analyze(c.source)
        if a.error:
            c.error = a.error
            problems.append(Problem("syntax_error", "error", f"{c.label} cannot be parsed: {a.error}.",
                                    "Fix the cell's code (it would fail the same way in the notebook).",
                                    cells=(c.position,)))
        c.reads, c.writes, c.mutations = set(a.reads), set(a.writes), set(a.mutations)
        c.imports, c.calls = set(a.imports), set(a.calls)
        c.statements = statements(c.source)
        rec = (recorded or {}).get(c.id)
        if rec and rec["run"].get("code_hash") == c.hash:
            c.recorded = rec
    for c in selected:
        if c.recorded and c.recorded["run"].get("status") == "error":
            run = c.recorded["run"]
            problems.append(Problem(
                "last_run_failed", "warning",
                f"{c.label} failed when it last ran ({run.get('error_name') or 'error'}: "
                f"{(run.get('error_value') or '')[:160]}).",
                "Fix it, or leave it out of the range: a scheduled run would fail the same way.",
                cells=(c.position,)))

    # -- roles: parameters, prelude, tasks --------------------------------------------------
    parameters_cell = next((c for c in selected if "parameters" in c.tags), None)
    parameters: list[Parameter] = []
    if parameters_cell is not None:
        parameters_cell.role = "parameters"
        parameters, param_problems = _parameters_of(parameters_cell)
        problems.extend(param_problems)
        if parameters_cell.component:
            notes.append(Note("parameters", f"{parameters_cell.label} is tagged 'parameters': it runs in every task "
                                            f"(before overrides), not only in component '{parameters_cell.component}'.",
                              cells=(parameters_cell.position,)))
        for extra in (c for c in selected if "parameters" in c.tags and c is not parameters_cell):
            problems.append(Problem("two_parameters_cells", "warning",
                                    f"{extra.label} is tagged 'parameters' too; only {parameters_cell.label} is used.",
                                    "Keep one cell tagged 'parameters'.", cells=(extra.position,)))
    prelude_names: set[str] = set(INTERVAL_NAMES) | {p.name for p in parameters}
    prelude_functions: set[str] = set()
    star_import = False
    for c in selected:
        if c.role == "parameters":
            prelude_names |= c.writes
            continue
        if c.component is None and _is_prelude(c, prelude_names, prelude_functions):
            c.role = "prelude"
            prelude_names |= c.writes
            prelude_functions |= {d for st in c.statements or () for d in st.defines}
            star_import |= any(s.star_import for s in c.statements or ())
    prelude = [c for c in selected if c.role in ("prelude", "parameters")]
    if prelude:
        which = ", ".join(str(c.position) for c in prelude)
        message = (f"Cell {which} only imports, defines or sets constants: every task runs it first."
                   if len(prelude) == 1 else
                   f"Cells {which} only import, define or set constants: every task runs them first.")
        notes.append(Note("prelude", message, cells=tuple(c.position for c in prelude)))

    tasks: list[_Task] = []
    by_name: dict[str, _Task] = {}
    leading: list[_Cell] = []
    current: Optional[_Task] = None
    components = [c for c in selected if c.component and c.role == "task"]
    for c in selected:
        if c.role != "task":
            continue
        if c.component:
            task = by_name.get(c.component)
            if task is None:
                task = by_name[c.component] = _Task(c.component, c.component)
                tasks.append(task)
            elif current is not task:
                between = [t.name for t in tasks[tasks.index(task) + 1:]]
                problems.append(Problem(
                    "interleaved", "error",
                    f"Component '{c.component}' has cells on both sides of '{between[0] if between else '?'}' "
                    f"({c.label}).",
                    f"Move the cells of '{c.component}' together, or give them different component names.",
                    cells=(c.position,), task=c.component))
            if leading:
                task.cells.extend(leading)
                for lc in leading:
                    lc.task = task.name
                notes.append(Note("leading", f"Untagged cells {', '.join(str(x.position) for x in leading)} come "
                                             f"before any component: they join '{task.name}', the first task.",
                                  cells=tuple(x.position for x in leading), task=task.name))
                leading = []
            current = task
            task.cells.append(c)
            c.task = task.name
        elif not components:
            if current is None:
                current = _Task(_task_name_for(notebook_path), None)
                tasks.append(current)
                by_name[current.name] = current
                notes.append(Note("single_task", f"No cell in the range is a component: the cells become one task, "
                                                 f"'{current.name}'. Make cells components to get one task each.",
                                  task=current.name))
            current.cells.append(c)
            c.task = current.name
        elif current is None:
            leading.append(c)
        else:
            current.cells.append(c)
            c.task = current.name
            notes.append(Note("folded", f"{c.label} is not a component: it runs in '{current.name}', the component "
                                        "before it. Make it a component to get a task of its own.",
                              cells=(c.position,), task=current.name))
    if not tasks:
        problems.append(Problem("no_tasks", "error", "The range holds only imports, definitions and constants: "
                                                     "there is no work to schedule.",
                                "Include the cells that do the work, or make one of them a component."))
        return Compiled(None, {}, problems, notes, [c.position for c in selected])

    # -- reads, writes, edges ---------------------------------------------------------
    functions = _prelude_functions(prelude)
    for c in selected:
        if c.role == "task":  # what the prelude functions it calls read, when they run
            c.reads |= _deferred_closure(c.reads | c.mutations | c.calls, functions)
    _apply_recorded_lineage(selected, notes, kernel)
    writers: dict[str, list[tuple[int, str]]] = {}  # name -> [(position, task)] of task cells writing it
    for c in selected:
        if c.role == "task":
            for n in c.writes | c.mutations:
                writers.setdefault(n, []).append((c.position, c.task))
    prelude_writes = set().union(*(c.writes for c in prelude)) if prelude else set()
    outside = _outside_writers(all_cells, first, last)
    param_names = {p.name for p in parameters}
    inputs: dict[str, dict[str, str]] = {t.name: {} for t in tasks}  # task -> {var: from task}
    reads_params: dict[str, set] = {t.name: set() for t in tasks}
    for t in tasks:
        for c in t.cells:
            needed = c.reads | c.mutations
            for n in sorted(needed):
                source = _latest_writer(writers.get(n, ()), c.position)
                if source is not None and source != t.name:
                    inputs[t.name][n] = source
                    continue
                if source == t.name:
                    continue
                if n in prelude_writes and n not in param_names and n not in INTERVAL_NAMES:
                    continue
                if n in param_names or n in INTERVAL_NAMES:
                    reads_params[t.name].add(n)
                    continue
                # The recorder never lists modules as inputs, so its silence about a name a cell
                # outside the range imports says nothing: the task would fail with a NameError.
                if _recorded_did_not_read(c, n) and not (n in outside and _imports_name(all_cells[outside[n] - 1], n)):
                    notes.append(Note("lineage", f"Static analysis sees {c.label} may read '{n}', which nothing "
                                                 "defines; its recorded run did not read it, so it is not an error.",
                                      cells=(c.position,), task=t.name, variable=n))
                    continue
                severity = "warning" if star_import else "error"
                where = outside.get(n)
                if where is not None:
                    problems.append(Problem(
                        "defined_outside_range", severity,
                        f"{c.label} reads '{n}', which only cell {where} (outside the range) defines.",
                        f"Include cell {where} in the range, or make '{n}' a parameter (assign it in the cell "
                        "tagged 'parameters').", cells=(c.position,), task=t.name, variable=n))
                else:
                    problems.append(Problem(
                        "undefined_name", severity,
                        f"{c.label} reads '{n}' before any cell defines it.",
                        f"Define '{n}' in an earlier cell of the range, or make it a parameter (assign it in the "
                        "cell tagged 'parameters').", cells=(c.position,), task=t.name, variable=n))

    # -- types and formats of what crosses ------------------------------------------------
    crossing = {(src, n) for t, ins in inputs.items() for n, src in ins.items()}
    seen = _types_seen(selected, crossing, kernel)
    for (src, n), (type_name, fmt, how, error) in sorted(seen.items()):
        if error or uncrossable(type_name):
            readers = sorted(t for t, ins in inputs.items() if ins.get(n) == src)
            problems.append(Problem(
                "unserializable", "error",
                f"'{n}' ({type_name or 'unknown type'}) cannot cross from '{src}' to "
                f"{', '.join(repr(r) for r in readers)}: {error or 'a value tied to this process cannot be stored'}.",
                f"Create '{n}' in the task that uses it (move its cell into that component), or make it data "
                "(e.g. list(...) of a generator) before the component ends.",
                task=src, variable=n))

    task_specs = []
    prelude_refs = tuple(c.ref for c in prelude)
    prelude_imports = set().union(*(c.imports for c in prelude)) if prelude else set()
    outputs_of: dict[str, list[str]] = {}
    for t, ins in inputs.items():
        for n, src in ins.items():
            outputs_of.setdefault(src, []).append(n)
    for t in tasks:
        ins = inputs[t.name]
        upstream = tuple(dict.fromkeys(ins[n] for n in sorted(ins)))
        outs = sorted(set(outputs_of.get(t.name, ())))
        task_specs.append(TaskSpec(
            name=t.name, module=f"tasks/{t.name}.py", cells=tuple(c.ref for c in t.cells),
            code_hash=_task_hash(prelude_refs, t.cells),
            inputs=tuple(TaskInput(n, ins[n], *seen[(ins[n], n)][:3]) for n in sorted(ins)),
            outputs=tuple(Variable(n, *seen[(t.name, n)][:3]) for n in outs),
            upstream=upstream, retry=retry or Retry(),
            imports=tuple(sorted(prelude_imports | set().union(*(c.imports for c in t.cells)))),
            component=t.component, reads_parameters=tuple(sorted(reads_params[t.name])),
        ))
        if t.component and not outs and _only_plots(t.cells):
            problems.append(Problem("plot_only", "warning",
                                    f"Component '{t.name}' only draws plots: a pipeline keeps no figures.",
                                    "Save the figure to a file in the component (plt.savefig(...)), or leave it "
                                    "out of the range.", cells=tuple(c.position for c in t.cells), task=t.name))
    try:
        topological_order({t.name: t.upstream for t in task_specs})
    except CycleError as exc:
        problems.append(Problem("cycle", "error", f"The components depend on each other in a cycle: {exc}.",
                                "Reorder the cells so each component only reads what components before it write.",
                                ))
        return Compiled(None, {}, problems, notes, [c.position for c in selected])

    spec = PipelineSpec(
        name=name if name is not None and not name_problem(name) else "unnamed",
        notebook=notebook_path, tasks=tuple(task_specs), prelude=prelude_refs,
        parameters_cell=parameters_cell.ref if parameters_cell else None, parameters=tuple(parameters),
        schedule=schedule or Schedule(), parallelism=parallelism, reuse=reuse, artifacts=artifacts,
        environment=environment if environment is not None else environment_of(
            sorted(set().union(*(t.imports for t in task_specs)))),
        cells=tuple(range_ids), created_at=now_iso, updated_at=now_iso, plumbline_version=plumbline_version,
    )
    sources = {c.id: {"source": c.source, "metadata": c.metadata, "position": c.position} for c in selected}
    return Compiled(spec, sources, problems, notes, [c.position for c in selected])


# -- helpers --------------------------------------------------------------------------------


def _task_hash(prelude: tuple[CellRef, ...], cells: list[_Cell]) -> str:
    h = hashlib.sha256()
    for ref in (*prelude, *(c.ref for c in cells)):
        h.update(ref.code_hash.encode("ascii"))
        h.update(b"\0")
    return h.hexdigest()


def _literal_type(value: Any) -> str:
    if value is None:
        return "none"
    return type(value).__name__


def _parameters_of(cell: _Cell) -> tuple[list[Parameter], list[Problem]]:
    params, problems = [], []
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return [], []  # reported as syntax_error
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else None
        if targets is None or not all(isinstance(t, ast.Name) for t in targets) or getattr(node, "value", None) is None:
            if not isinstance(node, (ast.Expr, ast.Import, ast.ImportFrom)):
                problems.append(Problem("parameters_cell", "warning",
                                        f"{cell.label} (parameters) has a statement that is not `name = value` "
                                        f"(line {node.lineno}).",
                                        "Keep only `name = literal` lines in the parameters cell.",
                                        cells=(cell.position,)))
            continue
        if all(t.id in INTERVAL_NAMES for t in targets):
            continue  # a default for interactive work; every run sets the data interval after this cell
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            for t in targets:
                problems.append(Problem("parameter_not_literal", "error",
                                        f"Parameter '{t.id}' (cell {cell.position}) has no literal default, so its "
                                        "type and a run's override cannot be known.",
                                        f"Give '{t.id}' a literal default (a number, text, True/False, None, a list "
                                        "or dict of those) and compute from it in a later cell.",
                                        cells=(cell.position,), variable=t.id))
            continue
        kind = _literal_type(value)
        if kind in ("tuple", "set", "complex", "bytes"):
            kind, value = "list", list(value) if kind in ("tuple", "set") else value
        if kind not in ("int", "float", "str", "bool", "list", "dict", "none"):
            problems.append(Problem("parameter_not_literal", "error",
                                    f"Parameter '{targets[0].id}' has a default of type {kind}, which a run cannot "
                                    "override.", "Use a number, text, True/False, None, a list or a dict.",
                                    cells=(cell.position,), variable=targets[0].id))
            continue
        for t in targets:
            if t.id in INTERVAL_NAMES:
                continue
            params = [p for p in params if p.name != t.id]
            params.append(Parameter(t.id, kind, value))
    return params, problems


def _is_prelude(c: _Cell, known: set[str], functions: set[str] = frozenset()) -> bool:
    """Only imports, definitions and constants, reading only what the prelude has set.

    Calling a function the notebook defines (``functions``) is work: it makes data
    (``batch = flights_of_day(2)``), which every task would otherwise make again.
    """
    if c.error or c.statements is None or not c.statements:
        return False
    if c.recorded:
        for io in c.recorded["io"]:
            if io["kind"] == "file":
                return False  # it read or wrote a file when it ran: work, not setup
    names = set(known)
    defined = set(functions)
    for s in c.statements:
        if s.kind == "import":
            names |= s.writes
            continue
        if s.kind == "definition":
            if not s.reads <= names:
                return False
            names |= s.writes
            defined |= set(s.defines)
            continue
        if s.kind in ("assignment", "expression"):
            if s.calls & (WORK_CALLS | defined) or not s.reads <= names:
                return False
            if s.kind == "expression" and not s.calls:
                continue  # a name or literal shown as the cell's result
            names |= s.writes
            continue
        return False
    return True


def _prelude_functions(prelude: list[_Cell]) -> dict[str, frozenset]:
    """Prelude function and class name -> the names its body reads when called."""
    out: dict[str, frozenset] = {}
    for c in prelude:
        for s in c.statements or ():
            for d in s.defines:
                out[d] = s.deferred
    return out


def _deferred_closure(names: set, functions: dict[str, frozenset]) -> set:
    out: set = set()
    todo = [n for n in names if n in functions]
    seen: set = set()
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.add(fn)
        for n in functions[fn]:
            out.add(n)
            if n in functions:
                todo.append(n)
    return out


def _latest_writer(writes: Iterable[tuple[int, str]], before: int) -> Optional[str]:
    best = None
    for position, task in writes:
        if position < before and (best is None or position > best[0]):
            best = (position, task)
    return best[1] if best else None


def _outside_writers(all_cells: list, first: int, last: int) -> dict[str, int]:
    """Names written by code cells outside the range -> the last such cell (1-based) before the range,
    or the first one after it."""
    out: dict[str, int] = {}
    for position, raw in enumerate(all_cells, 1):
        if first <= position <= last or raw.get("cell_type") != "code":
            continue
        a = analyze(_cell_source(raw))
        for n in a.writes | a.definitions:
            if position < first or n not in out:
                out[n] = position
    return out


def _imports_name(raw: Any, name: str) -> bool:
    """Does this cell bind ``name`` with an import statement (``import pandas as pd``, ``from x import name``)?"""
    try:
        tree = ast.parse(_cell_source(raw))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or (alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name)
                if bound == name:
                    return True
    return False


def _recorded_did_not_read(c: _Cell, name: str) -> bool:
    if not c.recorded or c.recorded["run"].get("status") != "ok":
        return False
    return not any(io["direction"] == "input" and io["kind"] == "variable" and io["name"] == name
                   for io in c.recorded["io"])


def _apply_recorded_lineage(cells: list[_Cell], notes: list[Note], kernel: Optional[dict]) -> None:
    """Recorded lineage wins: what the cells' latest runs read and wrote, beyond what the code shows."""
    by_id = {c.id: c for c in cells}
    for c in cells:
        if not c.recorded or c.recorded["run"].get("status") != "ok":
            continue
        for io in c.recorded["io"]:
            if io["kind"] != "variable":
                continue
            n = io["name"]
            if io["direction"] == "input" and n not in c.reads | c.mutations:
                c.reads.add(n)
                notes.append(Note("lineage", f"{c.label} read '{n}' when it last ran, which its code does not show "
                                             "(read inside a function, or through exec): the edge follows the "
                                             "recorded run.", cells=(c.position,), task=c.task, variable=n))
            elif io["direction"] == "output" and n not in c.writes | c.mutations:
                c.writes.add(n)
                notes.append(Note("lineage", f"{c.label} wrote '{n}' when it last ran, which its code does not show "
                                             "(exec, a star import, globals()): it is an output of the cell.",
                                  cells=(c.position,), task=c.task, variable=n))
    # The live kernel: a value that changed after the run that recorded it was changed by a later reader.
    for n, info in ((kernel or {}).get("variables") or {}).items():
        if not isinstance(info, dict) or not info.get("changed_since_recorded"):
            continue
        readers = [by_id[i] for i in info.get("read_by_cells") or () if i in by_id]
        readers = [r for r in readers if r.role == "task" and n not in r.writes | r.mutations]
        if len(readers) >= 1:
            r = readers[-1]
            r.mutations.add(n)
            notes.append(Note("lineage", f"'{n}' in the kernel differs from the value its last recorded writer left: "
                                         f"{r.label} read it since and changed it in place (through a function or an "
                                         "alias). It is an output of that cell.", cells=(r.position,), task=r.task,
                              variable=n))


def _types_seen(cells: list[_Cell], crossing: set, kernel: Optional[dict]) -> dict:
    """(task, var) -> (type, format, seen, error) for every variable that crosses, and for outputs."""
    live = (kernel or {}).get("variables") or {}
    out = {}
    for task, n in crossing:
        info = live.get(n) if isinstance(live.get(n), dict) else None
        if info and info.get("type"):
            ok = info.get("ok", True)
            fmt = info.get("format") if info.get("format") in ("parquet", "npy", "joblib", "pickle") else \
                format_for_type(info["type"])
            out[(task, n)] = (info["type"], fmt, "kernel", None if ok else str(info.get("error") or "cannot be stored"))
            continue
        type_name = None
        for c in reversed(cells):
            if c.task != task or not c.recorded:
                continue
            hit = next((io for io in c.recorded["io"] if io["direction"] == "output" and io["name"] == n
                        and io["kind"] == "variable"), None)
            if hit is not None:
                type_name = hit.get("type")
                break
        if type_name:
            out[(task, n)] = (type_name, format_for_type(type_name), "recorded", None)
        else:
            out[(task, n)] = (None, "pickle", "static", None)
    return out


def _only_plots(cells: list[_Cell]) -> bool:
    calls = set()
    for c in cells:
        for s in c.statements or ():
            calls |= s.calls
    return bool(calls & PLOT_CALLS) and not (calls & FILE_CALLS)


def environment_of(imports: Iterable[str]) -> dict:
    """The Python version and the installed versions of the top-level packages ``imports`` (this process).

    Cheap where it matters (every task process calls it): a module already imported
    answers with its ``__version__``; then the distribution of the same name; only
    then the (slow, cached) map of import names to distributions.
    """
    import importlib.metadata as md

    packages: dict[str, Optional[str]] = {}
    for name in sorted(set(imports)):
        if name in sys.stdlib_module_names or name == "__future__":
            continue
        module = sys.modules.get(name)
        version = getattr(module, "__version__", None) if module is not None else None
        if not isinstance(version, str):
            version = _dist_version(name)
            if version is None:
                for dist in _distributions().get(name, ()):
                    version = _dist_version(dist)
                    if version is not None:
                        break
        packages[name] = version
    return {"python": sys.version.split()[0], "packages": packages, "source": "process"}


def _dist_version(dist: str) -> Optional[str]:
    import importlib.metadata as md

    try:
        return md.version(dist)
    except (md.PackageNotFoundError, ValueError):
        return None


@functools.lru_cache(maxsize=1)
def _distributions() -> dict:
    import importlib.metadata as md

    try:
        return md.packages_distributions()
    except Exception:  # noqa: BLE001
        return {}
