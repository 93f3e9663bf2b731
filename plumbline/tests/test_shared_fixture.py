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
