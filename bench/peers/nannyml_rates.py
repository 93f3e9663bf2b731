"""NannyML's default univariate drift alerts per column per chunk (runs in NannyML's own virtualenv).

usage: python nannyml_rates.py reference.parquet chunks.parquet out.json [chunks per size and shift]
NannyML 0.13.1 UnivariateDriftCalculator at its defaults: Jensen–Shannon for continuous and categorical
columns, thresholds mean ± 3 std of the measure over reference chunks of the same size (its
StandardDeviationThreshold), which compares each reference chunk with a reference that contains it.
"""

import json
import sys
import warnings

import nannyml as nml
import pandas as pd

warnings.simplefilter("ignore")
KEYS = ["size", "shift", "chunk"]


def main() -> None:
    reference = pd.read_parquet(sys.argv[1])
    data = pd.read_parquet(sys.argv[2])
    if len(sys.argv) > 4:  # only the first chunks of each size and shift
        data = data[data["chunk"] < int(sys.argv[4])]
    columns = list(reference.columns)
    out = {}
    for size, chunks in data.groupby("size", sort=True):
        chunks = chunks.sort_values(["shift", "chunk"], kind="stable").reset_index(drop=True)
        calculator = nml.UnivariateDriftCalculator(column_names=columns, treat_as_categorical=["category"],
                                                   chunk_size=int(size))
        calculator.fit(reference)
        results = calculator.calculate(chunks.drop(columns=KEYS)).filter(period="analysis").to_df()
        labels = chunks.drop_duplicates(["shift", "chunk"])[["shift", "chunk"]].to_numpy().tolist()
        for i, (shift, k) in enumerate(labels):
            row = results.iloc[i]
            out[f"{size}/{shift}/{int(k)}"] = {c: bool(row[(c, "jensen_shannon", "alert")]) for c in columns}
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
