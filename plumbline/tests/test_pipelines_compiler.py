"""Cells -> tasks: the compiler, the spec and its schema, the generated modules, the pinned payloads."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from plumbline.headless import run_notebook
from plumbline.pipelines.codegen import ModuleError, read_module, task_module
from plumbline.pipelines.compiler import compile_range
from plumbline.pipelines.service import PipelineError
from plumbline.pipelines.spec import SpecError, load, validate_json

from . import fixture_pipelines
from .pipeline_project import FLIGHTS_CELLS, Project, code_cells, write_notebook

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def compile_cells(tmp_path, notebook_cells, **kwargs):
    write_notebook(tmp_path / "nb.ipynb", notebook_cells)
    nb = nbformat.read(tmp_path / "nb.ipynb", as_version=4)
    kwargs.setdefault("name", "p")
    return compile_range(nb, "nb.ipynb", **kwargs)


def edges(compiled) -> dict:
    return {(e["from"], e["to"]): sorted((v["name"], v["format"]) for v in e["variables"])
            for e in compiled.dag()["edges"]}


def codes(compiled, severity=None) -> list[str]:
    return [p.code for p in compiled.problems if severity is None or p.severity == severity]


# -- the example pipeline -------------------------------------------------------------------------


def test_the_example_notebook_becomes_the_expected_tasks_edges_and_formats(tmp_path):
    """Six+ cells, tagged and untagged, an in-place mutation, a parameters cell; types from recorded lineage."""
    project = Project(tmp_path)
    nb = project.notebook()
    assert run_notebook(tmp_path / nb).error is None  # record lineage, as working in JupyterLab does
    preview = project.service.preview(nb, name="weekly", options={"cron": "0 6 * * 1", "timezone": "Europe/Berlin"})
    assert preview["ok"] and not preview["problems"]
    dag = preview["dag"]
    assert [(t["name"], t["cells"]) for t in dag["tasks"]] == [
        ("load", [5]), ("clean", [6, 7]), ("features", [8]), ("train", [9]), ("predict", [10])]
    assert dag["prelude"] == [2, 3, 4]
    assert {(e["from"], e["to"]): sorted((v["name"], v["type"], v["format"], v["seen"]) for v in e["variables"])
            for e in dag["edges"]} == {
        ("load", "clean"): [("flights", "pandas.DataFrame", "parquet", "recorded")],
        ("clean", "features"): [("flights", "pandas.DataFrame", "parquet", "recorded")],
        ("features", "train"): [("features", "pandas.DataFrame", "parquet", "recorded")],
        ("train", "predict"): [("X", "pandas.DataFrame", "parquet", "recorded"),
                               ("model", "sklearn.linear_model._logistic.LogisticRegression", "joblib", "recorded")],
        ("features", "predict"): [("window", "tuple", "pickle", "recorded")],
    }
    tasks = {t["name"]: t for t in dag["tasks"]}
    # the folded cell calls a prelude function that reads a parameter: the task reads it
    assert tasks["clean"]["reads_parameters"] == ["late_minutes"]
    assert tasks["features"]["reads_parameters"] == ["data_interval_end", "data_interval_start"]
    assert preview["parameters"] == [{"name": "rows", "type": "int", "default": 2000},
                                     {"name": "late_minutes", "type": "int", "default": 15}]
    notes = {n["code"]: n for n in preview["notes"]}
    assert notes["folded"]["cells"] == [7] and "'clean'" in notes["folded"]["message"]
    assert [n["local"] for n in preview["schedule"]["next"]][0].endswith("06:00:00+01:00")


def test_the_demo_notebook_can_be_promoted_as_it_is(tmp_path):
    project = Project(tmp_path)
    (tmp_path / "demo.ipynb").write_bytes((Path(__file__).resolve().parents[2] / "examples" / "demo.ipynb").read_bytes())
    whole = project.service.preview("demo.ipynb", name="demo")
    assert whole["ok"], whole["problems"]
    assert [t["name"] for t in whole["dag"]["tasks"]] == ["load", "clean", "features", "train", "predict", "batch",
                                                          "monitor"]
    # the explicit drift cell (it reads batch) is untagged: it folds into 'batch' (and the dialog says so); the
    # monitoring cells after 'monitor', and the cell that fails on purpose, fold into 'monitor'; the cell that
    # defines flights_of_day and sets day is prelude
    assert {tuple(n["cells"]) for n in whole["notes"] if n["code"] == "folded"} == {(12,), (15,), (16,), (18,), (19,),
                                                                                   (20,)}
    assert [(t["name"], t["cells"]) for t in whole["dag"]["tasks"]][-2:] == [("batch", [10, 12]),
                                                                              ("monitor", [14, 15, 16, 18, 19, 20])]
    assert project.service.preview("demo.ipynb", name="demo", cells="2-7")["ok"]


def test_spec_and_preview_payloads_match_the_pinned_fixtures():
    assert fixture_pipelines.spec_payload() == json.loads((FIXTURES / "pipeline-spec-v1.json").read_text("utf-8"))
    assert fixture_pipelines.preview() == json.loads((FIXTURES / "pipeline-preview-v1.json").read_text("utf-8"))
    validate_json(json.loads((FIXTURES / "pipeline-spec-v1.json").read_text("utf-8")), "the fixture")


# -- how cells become tasks -----------------------------------------------------------------------


def test_untagged_cells_fold_into_the_component_before_leading_ones_into_the_first(tmp_path):
    c = compile_cells(tmp_path, code_cells("a = 1 + len('x')\nprint(a)", "b = a * 2", "c = b + 1", "d = c + a",
                                           components=[None, "first", None, "second"]))
    assert [(t["name"], t["cells"]) for t in c.dag()["tasks"]] == [("first", [1, 2, 3]), ("second", [4])]
    assert {n.code for n in c.notes} >= {"leading", "folded"}
    assert edges(c) == {("first", "second"): [("a", "pickle"), ("c", "pickle")]}


def test_a_range_without_components_is_one_task_named_after_the_notebook(tmp_path):
    c = compile_cells(tmp_path, code_cells("import math", "x = math.pi * 2", "print(x)"))
    assert [t["name"] for t in c.dag()["tasks"]] == ["nb"] and c.ok
    assert any(n.code == "single_task" for n in c.notes)


def test_functions_read_globals_when_called_not_when_defined(tmp_path):
    """The Kale case: a global read inside a function reaches the task that calls the function."""
    c = compile_cells(tmp_path, code_cells(
        "def scaled(v):\n    return v * factor", "factor = 3", "out = scaled(2)", components=[None, "make", "use"]))
    assert c.dag()["prelude"] == [1]
    assert edges(c) == {("make", "use"): [("factor", "pickle")]}


def test_a_mutation_in_place_is_a_write_for_later_readers(tmp_path):
    c = compile_cells(tmp_path, code_cells("df = {'a': 1}", "df.update(b=2)", "n = len(df)",
                                           components=["make", "change", "count"]))
    assert edges(c) == {("make", "change"): [("df", "pickle")], ("change", "count"): [("df", "pickle")]}


def test_a_cell_that_calls_a_notebook_function_is_work_not_prelude(tmp_path):
    """Its result is data: as prelude, every task would make it again (and a drift panel would show in each)."""
    c = compile_cells(tmp_path, code_cells(
        "import math\ndef day(n):\n    return [math.sqrt(i) for i in range(n)]", "batch = day(3)", "n = len(batch)",
        components=[None, None, "count"]))
    assert c.dag()["prelude"] == [1]
    assert c.dag()["tasks"][0]["cells"] == [2, 3]


def test_a_cell_that_reads_a_file_is_work_not_prelude(tmp_path):
    (tmp_path / "data.csv").write_text("a\n1\n")
    c = compile_cells(tmp_path, code_cells("import pandas as pd\nraw = pd.read_csv('data.csv')", "n = len(raw)",
                                           components=[None, "count"]))
    assert c.dag()["prelude"] == [] and c.dag()["tasks"][0]["cells"] == [1, 2]


# -- recorded lineage wins --------------------------------------------------------------------------


def test_recorded_lineage_adds_what_static_analysis_cannot_see(tmp_path):
    project = Project(tmp_path)
    nb = project.notebook("exec.ipynb", code_cells("exec('hidden = 21')", "answer = hidden * 2",
                                                   components=["make", "use"]))
    static = project.service.preview(nb, name="p")
    assert "undefined_name" in [p["code"] for p in static["problems"]]  # before any run: nothing defines 'hidden'
    assert run_notebook(tmp_path / nb).error is None
    recorded = project.service.preview(nb, name="p")
    assert recorded["ok"], recorded["problems"]
    assert [(e["from"], e["to"], [v["name"] for v in e["variables"]]) for e in recorded["dag"]["edges"]] == [
        ("make", "use", ["hidden"])]
    assert any(n["code"] == "lineage" and n["variable"] == "hidden" for n in recorded["notes"])


def test_a_static_read_the_recorded_run_did_not_make_is_not_an_error(tmp_path):
    project = Project(tmp_path)
    nb = project.notebook("branch.ipynb", code_cells("flag = False\nvalue = 1", "if flag:\n    value = ghost\n",
                                                     components=["a", "b"]))
    assert "undefined_name" in [p["code"] for p in project.service.preview(nb, name="p")["problems"]]
    assert run_notebook(tmp_path / nb).error is None
    after = project.service.preview(nb, name="p")
    assert after["ok"] and any(n["variable"] == "ghost" for n in after["notes"])


def test_a_module_imported_outside_the_range_stays_an_error_after_the_cells_ran(tmp_path):
    """The recorder lists no module as an input: its silence must not hide a missing import (Kale #609)."""
    project = Project(tmp_path)
    nb = project.notebook("imports.ipynb", code_cells("import json as js\nfrom math import sqrt", "x = sqrt(4)",
                                                      "y = js.dumps(x)", components=[None, "a", "b"]))
    assert run_notebook(tmp_path / nb).error is None
    cells = [c.id for c in nbformat.read(tmp_path / nb, as_version=4).cells]
    after = project.service.preview(nb, name="p", cell_ids=cells[1:])
    outside = [p for p in after["problems"] if p["code"] == "defined_outside_range"]
    assert not after["ok"] and sorted(p["variable"] for p in outside) == ["js", "sqrt"]
    assert all("Include cell 1" in p["fix"] for p in outside)
    assert project.service.preview(nb, name="p")["ok"]  # with the import cell: a prelude


def test_the_live_kernel_reports_a_mutation_through_a_function(tmp_path):
    """``normalize(df)`` changes df in place: no syntax says so; the kernel's fingerprints do."""
    cells = code_cells("def normalize(d):\n    d['x'] = d['x'] / 10", "df = {'x': 10}", "normalize(df)",
                       "total = df['x']", components=[None, "load", "scale", "report"])
    project = Project(tmp_path)
    nb = project.notebook("alias.ipynb", cells)
    ids = [c.get("id") for c in nbformat.read(tmp_path / nb, as_version=4).cells]
    static = project.service.preview(nb, name="p")
    assert [(e["from"], e["to"]) for e in static["dag"]["edges"]] == [("load", "scale"), ("load", "report")]
    kernel = {"variables": {"df": {"type": "dict", "format": "pickle", "ok": True, "changed_since_recorded": True,
                                   "read_by_cells": [ids[2]]}}}
    live = project.service.preview(nb, name="p", kernel=kernel)
    assert sorted((e["from"], e["to"]) for e in live["dag"]["edges"]) == [("load", "scale"), ("scale", "report")]
    assert any(n["code"] == "lineage" and n["variable"] == "df" for n in live["notes"])


# -- problems, each with a fix ------------------------------------------------------------------------


@pytest.mark.parametrize("cells,kwargs,code", [
    (code_cells("y = x + 1", components=["a"]), {}, "undefined_name"),
    (code_cells("x = 1", "y = x + 1", components=[None, "a"]), {"cells": "2"}, "defined_outside_range"),
    (code_cells("x = 1", components=["a"]), {"cells": "5-9"}, "bad_range"),
    (code_cells("x = 1", components=["a"]), {"cells": "9-3"}, "bad_range"),
    ([("markdown", "# only words", {})], {}, "no_code"),
    (code_cells("x = (", components=["a"]), {}, "syntax_error"),
    (code_cells("x = 1", components=["a"]), {"name": "../../etc"}, "invalid_name"),
    (code_cells("x = 1", components=["a"]), {"name": "class"}, "invalid_name"),
    (code_cells("x = 1", components=["a"]), {"name": "taken", "existing_names": ["taken"]}, "name_exists"),
    ([("code", "n = len('abc')", {"tags": ["parameters"]}), *code_cells("y = n", components=["a"])], {},
     "parameter_not_literal"),
    (code_cells("a = 1", "b = a", "c = 2", components=["x", "y", "x"]), {}, "interleaved"),
    (code_cells("import math", "def f(): return 1"), {}, "no_tasks"),
])
def test_bad_ranges_are_refused_with_a_fix(tmp_path, cells, kwargs, code):
    c = compile_cells(tmp_path, cells, **kwargs)
    assert not c.ok
    problem = next(p for p in c.problems if p.code == code)
    assert problem.severity == "error" and problem.message and problem.fix


def test_an_empty_selection_of_cell_ids_is_refused(tmp_path):
    c = compile_cells(tmp_path, code_cells("x = 1", components=["a"]), cell_ids=[])
    assert codes(c) == ["empty_range"]


def test_a_value_that_cannot_cross_a_process_boundary_is_an_error(tmp_path):
    cells = code_cells("rows = (i for i in range(3))", "total = sum(rows)", components=["make", "use"])
    kernel = {"variables": {"rows": {"type": "generator", "format": "pickle", "ok": False,
                                     "error": "TypeError: cannot pickle 'generator' object"}}}
    c = compile_cells(tmp_path, cells, kernel=kernel)
    problem = next(p for p in c.problems if p.code == "unserializable")
    assert problem.variable == "rows" and "generator" in problem.message and "list(" in problem.fix


def test_a_component_that_only_draws_plots_is_a_warning(tmp_path):
    c = compile_cells(tmp_path, code_cells("xs = [1, 2]", "import matplotlib.pyplot as plt\nplt.plot(xs)\nplt.show()",
                                           components=["data", "chart"]))
    assert c.ok and "plot_only" in codes(c, "warning")


# -- the spec file and the generated modules -----------------------------------------------------------


NASTY = 's = """x\'\'\' \\\\ \\n"""  # comment with """ and \'\'\'\nt = "\\x00" + "\u00e9\u2028"  # {{ jinja }} {% raw %}\nu = r"\\\\"'


def test_generated_modules_hold_user_code_only_as_escaped_literals(tmp_path):
    c = compile_cells(tmp_path, code_cells("import os", NASTY, "v = len(s + t + u)", components=[None, "a", "b"]))
    assert c.ok, c.problems
    spec = c.spec
    for task in spec.tasks:
        source = task_module(spec, task, c.sources)
        tree = ast.parse(source)
        # only imports, constant assignments and Cell(...) data: no statement of the user's
        assert all(isinstance(n, (ast.Expr, ast.ImportFrom, ast.Assign)) for n in tree.body)
        path = tmp_path / "pipelines" / spec.name / task.module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, "utf-8")
        prelude, cells = read_module(path, spec, task)
        assert [cell.source for cell in cells] == [c.sources[r.id]["source"] for r in task.cells]
    assert c.sources[spec.task("a").cells[0].id]["source"] == NASTY


def test_a_hand_edited_module_is_refused(tmp_path):
    project = Project(tmp_path)
    nb = project.notebook("m.ipynb", code_cells("x = 1", "y = x", components=["a", "b"]))
    project.service.create(nb, name="p")
    spec, _ = load(project.service.layout, "p")
    module = tmp_path / "pipelines" / "p" / "tasks" / "a.py"
    module.write_text(module.read_text().replace("'x = 1'", "'x = 2'"))
    with pytest.raises(ModuleError, match="edited by hand"):
        read_module(module, spec, spec.task("a"))


@pytest.mark.parametrize("edit,words", [
    (lambda d: d.update(version=2), "at version"),
    (lambda d: d["tasks"][0].update(name="not an identifier"), "at tasks/0/name"),
    (lambda d: d["schedule"].update(cron="61 * * * *"), "not a valid cron"),
    (lambda d: d["schedule"].update(timezone="Mars/Olympus"), "not an IANA timezone"),
    (lambda d: d.update(notebook="../outside.ipynb"), "at notebook"),
    (lambda d: d["tasks"][1].update(upstream=["nowhere"]), "not a task"),
    (lambda d: d["tasks"][0].update(upstream=[d["tasks"][-1]["name"]]), "cycle"),
])
def test_a_hand_edited_or_corrupt_spec_is_refused_with_the_schema_error(tmp_path, edit, words):
    project = Project(tmp_path)
    nb = project.notebook()
    project.service.create(nb, name="weekly", options={"cron": "0 6 * * 1"})
    path = tmp_path / "pipelines" / "weekly" / "pipeline.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(SpecError) as info:
        load(project.service.layout, "weekly")
    assert words in str(info.value) and "pipelines/weekly/pipeline.json" in str(info.value)
    with pytest.raises(PipelineError) as refused:
        project.service.trigger("weekly")
    assert refused.value.status == 422


def test_a_spec_that_is_not_json_is_refused(tmp_path):
    project = Project(tmp_path)
    project.service.create(project.notebook(), name="weekly")
    (tmp_path / "pipelines" / "weekly" / "pipeline.json").write_text("{not json")
    with pytest.raises(SpecError, match="not valid JSON"):
        load(project.service.layout, "weekly")


def test_a_notebook_or_artifact_folder_outside_the_project_is_refused(tmp_path):
    project = Project(tmp_path / "project")
    project.service.restrict_paths = True
    write_notebook(tmp_path / "outside.ipynb", FLIGHTS_CELLS)
    for path in ("../outside.ipynb", str(tmp_path / "outside.ipynb")):
        with pytest.raises(PipelineError) as info:
            project.service.preview(path, name="p")
        assert info.value.status == 403 and "outside the project" in str(info.value)
    nb = project.notebook()
    with pytest.raises(PipelineError, match="outside the project"):
        project.service.preview(nb, name="p", options={"artifacts": "/tmp/elsewhere"})
