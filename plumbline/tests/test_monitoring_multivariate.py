"""The multivariate measure: a PCA fitted on the reference, the reconstruction error of the current rows.

It catches what no column's measure can (two columns that moved together no longer do), stays
quiet on the same distribution, names the columns that contribute, and encodes categories by their
reference share: missing and unseen values weigh 0, whatever the values' types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plumbline.monitoring import multivariate
from plumbline.monitoring.drift import compare
from plumbline.monitoring.profiles import profile


def correlated(rng, n: int, linked: bool = True) -> pd.DataFrame:
    x = rng.normal(size=n)
    y = 0.9 * x + np.sqrt(1 - 0.81) * rng.normal(size=n) if linked else rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": y, "noise": rng.normal(size=n),
                         "port": rng.choice(["SEA", "SFO", "ORD"], n, p=[0.5, 0.3, 0.2])})


def test_a_broken_correlation_is_caught_by_the_multivariate_measure_alone_and_the_same_data_is_not():
    rng = np.random.default_rng(11)
    reference = profile(correlated(rng, 60_000))
    model = reference.multivariate
    assert model is not None and [name for name, _ in model["features"]] == ["x", "y", "noise", "port"]

    same = multivariate.compare(model, correlated(rng, 20_000))
    assert same["available"] and not same["drift"], same["message"]
    assert same["value"] <= same["threshold"]

    broken_frame = correlated(rng, 20_000, linked=False)  # each column as before, together not
    broken = multivariate.compare(model, broken_frame)
    assert broken["drift"] and broken["value"] > broken["threshold"], broken["message"]
    report = compare(reference, profile(broken_frame, multivariate=False))
    assert not report.drifted, [c.column for c in report.drifted]  # no single column says so
    top = sorted(broken["contributions"], key=broken["contributions"].get, reverse=True)[:2]
    assert sorted(top) == ["x", "y"]
    assert abs(sum(broken["contributions"].values()) - 1) < 1e-9


def test_categories_weigh_their_reference_share_and_missing_unseen_or_unhashable_values_weigh_zero():
    model = {"features": [["port", "category"], ["tags", "category"]],
             "codes": {"port": {"SEA": 0.5, "SFO": 0.3, "1": 0.2}, "tags": {"[1, 2]": 0.75}}}
    frame = pd.DataFrame({
        "port": pd.Series(["SEA", None, "JFK", "SFO", 1, np.nan], dtype=object),  # 1 reads as its text "1"
        "tags": pd.Series([[1, 2], None, [3], [1, 2], [1, 2], None], dtype=object),  # lists: unhashable
    })
    raw = multivariate._raw(frame, model, ["port", "tags"])
    assert raw.tolist() == [[0.5, 0.75], [0.0, 0.0], [0.0, 0.0], [0.3, 0.75], [0.2, 0.75], [0.0, 0.0]]

    arrow = pd.Series(["SEA", None, "SFO"], dtype="string[pyarrow]").to_frame("port")
    assert multivariate._raw(arrow, {"features": [["port", "category"]], "codes": model["codes"]},
                             ["port"])[:, 0].tolist() == [0.5, 0.0, 0.3]
