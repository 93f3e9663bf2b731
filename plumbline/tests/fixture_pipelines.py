"""The pinned cross-language payloads of pipelines: the spec (pipeline.json) and the dialog's preview.

Both are built by the real compiler from the test notebook (``pipeline_project.FLIGHTS_CELLS``),
with what varies from machine to machine pinned (time, versions, the live kernel's answer).
pytest checks the compiler still produces them; the front end's tests read the same files.
Regenerate after a deliberate format change with:

    python -m plumbline.tests.fixture_pipelines spec > plumbline/tests/fixtures/pipeline-spec-v1.json
    python -m plumbline.tests.fixture_pipelines preview > plumbline/tests/fixtures/pipeline-preview-v1.json
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat

from plumbline.pipelines.compiler import compile_range
from plumbline.pipelines.models import Retry, Schedule
from plumbline.pipelines.service import preview_payload

from .pipeline_project import FLIGHTS_CELLS, write_notebook

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2026, 11, 30, 12, tzinfo=ZoneInfo("UTC")).timestamp()
#: What the front end's probe.crossing() answers in the live kernel (pinned).
KERNEL = {
    "python": "3.11.7",
    "packages": {"numpy": "2.4.6", "pandas": "3.1.1", "sklearn": "1.9.1"},
    "variables": {
        "flights": {"type": "pandas.DataFrame", "format": "parquet", "ok": True, "error": None},
        "features": {"type": "pandas.DataFrame", "format": "parquet", "ok": True, "error": None},
        "X": {"type": "pandas.DataFrame", "format": "parquet", "ok": True, "error": None},
        "model": {"type": "sklearn.linear_model._logistic.LogisticRegression", "format": "joblib", "ok": True,
                  "error": None},
        "window": {"type": "tuple", "format": "pickle", "ok": True, "error": None},
    },
}
OPTIONS = {"cron": "0 6 * * 1", "timezone": "Europe/Berlin"}


def compiled(tmp: Path):
    write_notebook(tmp / "flights.ipynb", FLIGHTS_CELLS)
    nb = nbformat.read(tmp / "flights.ipynb", as_version=4)
    return compile_range(
        nb, "flights.ipynb", name="weekly_flights", schedule=Schedule(cron="0 6 * * 1", timezone="Europe/Berlin"),
        retry=Retry(retries=1, retry_delay_seconds=30.0, timeout_seconds=600.0), kernel=KERNEL,
        environment={"python": KERNEL["python"], "packages": KERNEL["packages"], "source": "kernel"},
        now_iso="2026-11-30T12:00:00Z", plumbline_version="fixture",
    )


def spec_payload() -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return compiled(Path(folder)).spec.to_json()


def preview() -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return preview_payload(compiled(Path(folder)), OPTIONS, now=NOW)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "spec"
    json.dump(spec_payload() if which == "spec" else preview(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
