"""Public data the tests and benches use, shipped by npm packages (nothing is downloaded at run time)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VEGA_DATA = REPO / "node_modules" / "vega-datasets" / "data"


def flights_3m() -> Path:
    """3,000,000 US flights, January to June 2001: date, delay, distance, origin, destination."""
    path = VEGA_DATA / "flights-3m.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `jlpm install` (vega-datasets is a dev dependency).")
    return path
