import json
from pathlib import Path

from .fixture_store import changes

FIXTURE = Path(__file__).resolve().parents[2] / "schema" / "fixtures" / "changes-v1.json"


def test_change_feed_matches_the_fixture_the_browser_is_tested_with():
    assert changes() == json.loads(FIXTURE.read_text("utf-8"))
