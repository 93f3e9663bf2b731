"""Component checks around real kernel executions, recorded in the store."""

from __future__ import annotations

import json

import pytest

from .kernels import Kernel
from .storerows import query


def component(name, checks=(), part="only", **extra):
    return {"plumbline": {"component": name, "checks": list(checks), "part": part, **extra}}


def nulls_check(when="before", on_fail="warn", arg="frame", max_fraction=0.0, check_id="nulls-1"):
    return {"id": check_id, "check": "nulls", "when": when, "args": [arg],
            "params": {"max_fraction": max_fraction}, "on_fail": on_fail}


def rows(path, sql, *params):
    return query(path, sql, params)


@pytest.fixture
def kernel(store_path, tmp_path):
    k = Kernel(env={"PLUMBLINE_DB": store_path}, cwd=str(tmp_path))
    k.load_plumbline("pipeline.ipynb")
    k.execute("import pandas as pd, numpy as np")
    yield k
    k.shutdown(now=True)


def test_before_and_after_checks_are_recorded_with_the_run(kernel, store_path):
    kernel.execute("frame = pd.DataFrame({'delay': [1.0, 2.0, None, 4.0]})")
    result = kernel.execute(
        "clean = frame.dropna()",
        cell_id="clean-cell",
        metadata=component("clean", [nulls_check("before"), nulls_check("after", arg="clean", check_id="nulls-2")],
                           owner="ana", description="drop nulls", tags=["daily"]),
    )
    assert result.status == "ok"
    assert "nulls" in result.stderr and "delay" in result.stderr  # the warning names the column
    (run,) = rows(store_path, "SELECT * FROM runs WHERE cell_id = 'clean-cell'")
    checks = {c["spec_id"]: c for c in rows(store_path, "SELECT * FROM check_results WHERE run_id = ?", run["id"])}
    assert checks["nulls-1"]["when"] == "before" and checks["nulls-1"]["status"] == "fail"
    assert "delay" in checks["nulls-1"]["message"]
    assert checks["nulls-2"]["when"] == "after" and checks["nulls-2"]["status"] == "pass"
    assert all(c["component_id"] == run["component_id"] for c in checks.values())
    (comp,) = rows(store_path, "SELECT * FROM components WHERE name = 'clean'")
    assert (comp["owner"], comp["description"], json.loads(comp["tags"])) == ("ana", "drop nulls", ["daily"])


def test_blocking_before_check_stops_the_cell_before_any_code_runs(kernel, store_path):
    kernel.execute("frame = pd.DataFrame({'delay': [None, None, 3.0]}); touched = False")
    result = kernel.execute(
        "touched = True\nclean = frame.dropna()",
        cell_id="blocked-cell",
        metadata=component("clean", [nulls_check("before", on_fail="block")]),
    )
    assert result.status == "error"
    assert result.reply["ename"] == "CheckBlocked"
    assert "delay" in result.reply["evalue"] and "blocked" in result.reply["evalue"]
    assert result.stderr == ""  # reported once, as the error, not also as a warning
    assert kernel.execute("print(touched)").stdout.strip() == "False"  # none of its code ran
    (run,) = rows(store_path, "SELECT * FROM runs WHERE cell_id = 'blocked-cell'")
    assert run["status"] == "error" and run["error_name"] == "CheckBlocked"
    # the next cell is not blocked
    assert kernel.execute("after = 1", metadata=component("other")).status == "ok"


def test_crashing_and_user_checks_never_take_the_cell_down(kernel, store_path):
    kernel.execute(
        "import plumbline\n"
        "@plumbline.check('train', when='after')\n"
        "def positive(total):\n"
        "    assert total > 0, f'total is {total}'\n"
        "@plumbline.check('train', when='after')\n"
        "def crashes(total):\n"
        "    raise RuntimeError('checker bug')\n"
    )
    result = kernel.execute("total = -5", cell_id="train-cell", metadata=component("train"))
    assert result.status == "ok"
    (run,) = rows(store_path, "SELECT * FROM runs WHERE cell_id = 'train-cell'")
    assert run["status"] == "ok"
    checks = {c["name"]: c for c in rows(store_path, "SELECT * FROM check_results WHERE run_id = ?", run["id"])}
    assert any(c["status"] == "fail" and "total is -5" in c["message"] for c in checks.values())
    assert any(c["status"] == "error" and "checker bug" in c["message"] for c in checks.values())


def test_after_checks_run_with_the_last_cell_of_a_group_only(kernel, store_path):
    kernel.execute("frame = pd.DataFrame({'x': [1.0]})")
    spec = nulls_check("after")
    kernel.execute("a = 1", cell_id="g1", metadata=component("group", [spec], part="first"))
    kernel.execute("b = 2", cell_id="g2", metadata=component("group", [spec], part="last"))
    by_cell = {r["cell_id"]: r["id"] for r in rows(store_path, "SELECT * FROM runs")}
    assert rows(store_path, "SELECT * FROM check_results WHERE run_id = ?", by_cell["g1"]) == []
    assert len(rows(store_path, "SELECT * FROM check_results WHERE run_id = ?", by_cell["g2"])) == 1


def test_freshness_compares_with_the_previous_run_of_the_component(kernel, store_path):
    spec = {"id": "fresh", "check": "freshness", "when": "after", "args": ["batch"],
            "params": {"timestamp_column": "ts"}, "on_fail": "warn"}
    meta = component("ingest", [spec])
    kernel.execute("batch = pd.DataFrame({'ts': pd.to_datetime(['2026-01-01', '2026-01-02'])})", metadata=meta)
    kernel.execute("batch = pd.DataFrame({'ts': pd.to_datetime(['2026-01-02', '2026-01-03'])})", metadata=meta)
    kernel.execute("batch = pd.DataFrame({'ts': pd.to_datetime(['2026-01-02', '2026-01-03'])})", metadata=meta)
    statuses = [r["status"] for r in rows(store_path, "SELECT status FROM check_results ORDER BY id")]
    assert statuses == ["pass", "pass", "fail"]  # the third batch stopped moving


def test_malformed_component_metadata_never_stops_a_cell(kernel, store_path):
    bad = {"plumbline": {"component": "x", "checks": [{"check": "no_such_check"}], "tags": "notalist"}}
    result = kernel.execute("ok = 1", cell_id="bad-meta", metadata=bad)
    assert result.status == "ok"
    assert "invalid" in result.stderr
    assert kernel.execute("y = 2", metadata={"plumbline": {"component": "not an identifier"}}).status == "ok"
    (run,) = rows(store_path, "SELECT * FROM runs WHERE cell_id = 'bad-meta'")
    assert run["status"] == "ok" and run["component_name"] == "x"


def test_syntax_error_in_a_blocked_cell_does_not_block_the_next(kernel, store_path):
    kernel.execute("frame = pd.DataFrame({'delay': [None]})")
    meta = component("clean", [nulls_check("before", on_fail="block")])
    assert kernel.execute("def broken(:", metadata=meta).status == "error"
    assert kernel.execute("fine = 1").status == "ok"


def test_a_crashing_blocking_check_is_an_error_but_does_not_block(kernel, store_path):
    kernel.execute("frame = [1, 2, 3]")  # not a DataFrame: the nulls check cannot run
    result = kernel.execute("ran = True", cell_id="c", metadata=component("clean", [nulls_check(on_fail="block")]))
    assert result.status == "ok"
    (check,) = rows(store_path, "SELECT * FROM check_results")
    assert check["status"] == "error" and "DataFrame" in check["message"]


def test_interrupt_during_before_checks_does_not_run_the_cell(kernel, store_path):
    kernel.execute(
        "import plumbline\n"
        "@plumbline.check('slow', when='before')\n"
        "def interrupted(frame):\n"
        "    raise KeyboardInterrupt\n"
        "frame = pd.DataFrame({'x': [1]}); ran = False"
    )
    result = kernel.execute("ran = True", cell_id="slow-cell", metadata=component("slow"))
    assert result.status == "error" and result.reply["ename"] == "CheckBlocked"
    assert "Interrupted" in result.reply["evalue"]
    assert kernel.execute("print(ran)").stdout.strip() == "False"


def test_an_invalid_check_is_recorded_as_an_error(kernel, store_path):
    kernel.execute("frame = pd.DataFrame({'x': [1.0]})")
    bad = {"id": "nulls-9", "check": "nulls", "when": "before", "args": ["frame"],
           "params": {"max_fraction": 2}, "on_fail": "block"}
    result = kernel.execute("y = 1", cell_id="inv", metadata=component("c", [bad, nulls_check()]))
    assert result.status == "ok"
    checks = {c["spec_id"]: c for c in rows(store_path, "SELECT * FROM check_results")}
    assert checks["nulls-9"]["status"] == "error" and "invalid check" in checks["nulls-9"]["message"]
    assert checks["nulls-1"]["status"] == "pass"


def test_a_collapse_lasting_two_runs_fails_both(kernel, store_path):
    spec = {"id": "rows", "check": "row_count", "when": "after", "args": ["batch"],
            "params": {"min_rows": 1, "max_drop": 0.5}, "on_fail": "warn"}
    meta = component("ingest", [spec])
    for size in (100, 10, 10):
        kernel.execute(f"batch = pd.DataFrame({{'x': range({size})}})", metadata=meta)
    statuses = [r["status"] for r in rows(store_path, "SELECT status FROM check_results ORDER BY id")]
    assert statuses == ["pass", "fail", "fail"]  # the baseline is the last good run, not the collapse


def test_component_metadata_is_read_as_the_shared_fixture_says():
    """The same file pins the browser's reading (src/__tests__/components.spec.ts)."""
    import json
    from pathlib import Path

    from plumbline.kernel.components import is_component_name, parse_component

    fixture = json.loads((Path(__file__).parent / "fixtures" / "component-metadata-v1.json").read_text("utf-8"))
    assert all(is_component_name(n) for n in fixture["names"]["valid"])
    assert not any(is_component_name(n) for n in fixture["names"]["invalid"])
    for case in fixture["cells"]:
        parsed = parse_component(case["metadata"])
        expected = case["component"]
        if expected is None:
            assert parsed is None, case
            continue
        assert (parsed.name, parsed.part, parsed.info.owner, parsed.info.description, list(parsed.info.tags),
                len(parsed.checks), parsed.materialize) == (
            expected["name"], expected["part"], expected["owner"], expected["description"], expected["tags"],
            expected["checks"], expected["materialize"]), case
