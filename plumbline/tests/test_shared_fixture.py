import json
from pathlib import Path

from .fixture_store import changes

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "changes-v1.json"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


def test_change_feed_matches_the_fixture_the_browser_is_tested_with():
    assert changes() == json.loads(FIXTURE.read_text("utf-8"))


def test_schema_folder_holds_no_json_but_the_settings_schema():
    # package.json's schemaDir is schema/: JupyterLab serves every .json below it
    # as a settings schema, and one that is not breaks /lab/api/settings (blank page).
    assert [p.relative_to(SCHEMA_DIR).as_posix() for p in SCHEMA_DIR.rglob("*.json")] == ["plugin.json"]


def test_pipeline_tables_match_the_fixture_the_pipelines_panel_is_tested_with():
    from .fixture_pipelines_store import changes as pipeline_changes

    fixture = Path(__file__).resolve().parent / "fixtures" / "pipelines-v1.json"
    page = pipeline_changes()
    assert page == json.loads(fixture.read_text("utf-8"))
    # the story the jest tests rely on: four triggers, a deleted pipeline kept with its run, a task's cell run
    runs = page["tables"]["pipeline_runs"]
    trigger = runs["columns"].index("trigger")
    assert sorted(r[trigger] for r in runs["rows"]) == ["airflow", "backfill", "manual", "manual", "schedule"]
    cells = page["tables"]["runs"]
    assert sum(r[cells["columns"].index("task_run_id")] is not None for r in cells["rows"]) == 1


def test_drift_verdicts_match_the_fixture_the_drift_badges_are_tested_with():
    from .fixture_drift_store import changes as drift_changes

    fixture = Path(__file__).resolve().parent / "fixtures" / "drift-verdicts-v1.json"
    page = drift_changes()
    assert page == json.loads(fixture.read_text("utf-8"))
    # the story the jest tests rely on: a reference, an ok, a drifted and a retyped output
    verdicts = page["tables"]["drift_verdicts"]
    status = verdicts["columns"].index("status")
    assert sorted(r[status] for r in verdicts["rows"]) == ["drift", "ok", "reference", "reference", "schema"]
