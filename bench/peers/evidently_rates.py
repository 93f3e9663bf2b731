"""Evidently's default drift verdicts per column per chunk (runs in Evidently's own virtualenv; bench/drift.py).

usage: python evidently_rates.py reference.parquet chunks.parquet out.json [chunks per size and shift]
Evidently 0.7: Report([DataDriftPreset()]) with include_tests=True, at its defaults (for references above
1,000 rows: Wasserstein distance / std > 0.1 for numeric columns, Jensen–Shannon > 0.1 for categorical).
"""

import json
import sys
import warnings

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

warnings.simplefilter("ignore")
KEYS = ["size", "shift", "chunk"]


def drifted(snapshot: dict, columns: list) -> dict:
    """{column: drifted} from a run's tests: one ValueDrift test per column, FAIL when it drifted."""
    found = {}
    for test in snapshot.get("tests", []):
        params = (test.get("metric_config") or {}).get("params") or {}
        if params.get("type") == "evidently:metric_v2:ValueDrift" and params.get("column") in columns:
            found[params["column"]] = test["status"] == "FAIL"
    return found


def main() -> None:
    reference = pd.read_parquet(sys.argv[1])
    data = pd.read_parquet(sys.argv[2])
    if len(sys.argv) > 4:  # only the first chunks of each size and shift
        data = data[data["chunk"] < int(sys.argv[4])]
    columns = list(reference.columns)
    out = {}
    for (size, shift, k), part in data.groupby(KEYS, sort=True):
        current = part.drop(columns=KEYS).reset_index(drop=True)
        snapshot = Report([DataDriftPreset()], include_tests=True).run(current, reference).dict()
        out[f"{size}/{shift}/{k}"] = drifted(snapshot, columns)
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
