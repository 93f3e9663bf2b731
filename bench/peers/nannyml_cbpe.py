"""NannyML 0.13.1 CBPE on given chunks (runs in NannyML's own virtualenv).

usage: python nannyml_cbpe.py reference.parquet chunks.parquet out.json
reference.parquet: columns proba, pred, y. chunks.parquet: the same plus scenario, chunk; each
(scenario, chunk) group is one chunk and every chunk of a scenario has the same number of rows, so
NannyML's size chunker (chunk_size = that number) cuts exactly the same chunks. CBPE at its defaults
otherwise: isotonic calibration when it lowers ECE, ±3 SE bands, thresholds from reference chunks.
Writes {scenario: {chunk: {metric: {value, lower, upper, alert}}}}.
"""

import json
import sys
import warnings

import nannyml as nml
import pandas as pd

warnings.simplefilter("ignore")
METRICS = ["accuracy", "f1", "precision", "recall", "roc_auc"]


def main() -> None:
    reference = pd.read_parquet(sys.argv[1])
    data = pd.read_parquet(sys.argv[2])
    out = {}
    for scenario, chunks in data.groupby("scenario", sort=False):
        chunks = chunks.sort_values("chunk", kind="stable").reset_index(drop=True)
        sizes = chunks.groupby("chunk").size()
        if sizes.nunique() != 1:
            raise SystemExit(f"scenario {scenario}: chunks of different sizes {sorted(set(sizes))}")
        size = int(sizes.iloc[0])
        estimator = nml.CBPE(y_pred_proba="proba", y_pred="pred", y_true="y", problem_type="classification_binary",
                             metrics=METRICS, chunk_size=size)
        estimator.fit(reference)
        result = estimator.estimate(chunks[["proba", "pred"]]).filter(period="analysis").to_df()
        keys = chunks["chunk"].drop_duplicates().tolist()
        per = {}
        for i, k in enumerate(keys):
            row = result.iloc[i]
            per[str(int(k))] = {m: {"value": float(row[(m, "value")]),
                                    "lower": float(row[(m, "lower_confidence_boundary")]),
                                    "upper": float(row[(m, "upper_confidence_boundary")]),
                                    "alert": bool(row[(m, "alert")])} for m in METRICS}
        out[str(scenario)] = per
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
