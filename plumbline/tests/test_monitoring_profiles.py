"""Profiles: exact parts exact, sketches within their stated errors, merges and bytes lossless, imports cheap."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import plumbline
from plumbline.monitoring import binning
from plumbline.monitoring.profiles import KLL_SAMPLE, Profile, profile


def test_importing_plumbline_loads_no_numeric_library():
    code = ("import sys, plumbline, plumbline.monitoring, plumbline.checks; "
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'datasketches', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert {"drift", "profile", "Profile", "DriftResult"} <= set(dir(plumbline))


def test_the_lattice_is_shared_so_coarsening_and_merging_are_exact():
    rng = np.random.default_rng(0)
    a_values, b_values = rng.normal(0, 1, 50_000), rng.normal(3, 40, 50_000)
    a = binning.build(a_values, binning.width_exponent(-3, 3, 5), -3, 3)
    b = binning.build(b_values, binning.width_exponent(-100, 100, 200), -100, 100)
    assert a.exp < b.exp
    both = binning.merged(a, b)
    direct = binning.build(np.r_[a_values, b_values], both.exp, -100, 100)
    assert np.array_equal(both.index, direct.index) and np.array_equal(both.counts, direct.counts)
    # Counts per bin equal a direct count of the raw values in [i w, (i+1) w).
    coarse = a.coarsened(a.exp + 3)
    expected = np.unique(np.floor(a_values / coarse.width).astype(np.int64), return_counts=True)
    assert np.array_equal(coarse.index, expected[0]) and np.array_equal(coarse.counts, expected[1])


def test_far_outliers_keep_a_fine_middle_and_a_bounded_size():
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(0, 1, 100_000), [1e12, -1e12, 5e9]]
    lattice = binning.build(values, binning.width_exponent(-3, 3, 1e12), -3, 3)
    assert lattice.width < 0.01 and lattice.total == len(values) and len(lattice.index) <= binning.MAX_BINS


def test_bytes_round_trip_and_merge_of_sampled_sketches():
    rng = np.random.default_rng(2)
    big = pd.DataFrame({"x": rng.normal(0, 1, 3 * KLL_SAMPLE), "c": rng.choice(list("abc"), 3 * KLL_SAMPLE)})
    small = pd.DataFrame({"x": rng.normal(5, 1, 10_000), "c": rng.choice(list("abd"), 10_000)})
    p, q = profile(big), profile(small)
    assert p["x"].numeric.kll_exp > 0 and q["x"].numeric.kll_exp == 0  # the large column was sampled
    again = Profile.from_bytes(p.to_bytes())
    assert again.to_json() == p.to_json()
    merged = p.merge(q)
    values = np.sort(np.r_[big.x.to_numpy(), small.x.to_numpy()])
    numeric = merged["x"].numeric
    for level in (0.001, 0.5, 0.995, 0.999):  # the small profile's share weighs what it should
        rank = np.searchsorted(values, numeric.quantiles([level])[0], side="right") / len(values)
        assert abs(rank - level) <= numeric.rank_error + 1e-6, level
    assert dict(merged["c"].categories.counts())["d"] == (small.c == "d").sum()
    assert merged.rows == len(big) + len(small) and merged.multivariate is None


def test_profile_to_frame_and_a_column_missing_from_one_part():
    a = profile(pd.DataFrame({"x": np.arange(100.0), "y": ["a"] * 100}))
    b = profile(pd.DataFrame({"x": np.arange(50.0)}))
    merged = a.merge(b)
    assert merged["y"].nulls == 50 and merged["y"].rows == 150
    frame = merged.to_frame()
    assert list(frame.index) == ["x", "y"] and frame.loc["x", "rows"] == 150
    assert repr(merged) == "<plumbline Profile: 150 rows x 2 columns>"


def test_integer_columns_count_distinct_values_exactly():
    values = np.random.default_rng(3).integers(0, 3000, 200_000)
    summary = profile(pd.DataFrame({"k": values}))["k"].numeric
    assert summary.distinct == len(np.unique(values)) and not summary.distinct_lower_bound


def test_the_drift_result_frame_has_every_measure():
    rng = np.random.default_rng(4)
    a = pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(list("ab"), 3000)})
    result = plumbline.drift(a, a.assign(x=a.x + 1), show=False)
    frame = result.to_frame()
    assert frame.loc["x", "status"] == "drift" and frame.loc["c", "status"] == "ok"
    assert {"wasserstein", "jensen_shannon", "psi", "hellinger", "ks", "ks_p_value", "linf"} <= set(frame.columns)
    assert result.drifted == ["x"] and "1 of 2 columns drifted" in repr(result)
    with pytest.raises(TypeError, match="merge takes a Profile"):
        result.reference.profile.merge(a)


def test_the_retained_kll_items_carry_weights_that_match_the_sketch_ranks():
    """Iterating the binding's sketch gives wrong weights after some merges (they add up to less than n);
    the items and weights read from its serialization add up to n and give its own get_rank."""
    import datasketches

    from plumbline.monitoring.profiles import KLL_K, kll_retained

    rng = np.random.default_rng(7)
    for trial in range(40):
        merged = datasketches.kll_doubles_sketch(KLL_K)
        for _ in range(int(rng.integers(1, 5))):
            part = datasketches.kll_doubles_sketch(KLL_K)
            part.update(rng.normal(size=int(rng.integers(1, 3000))))
            for _ in range(int(rng.integers(1, 4))):
                merged.merge(part)
        items, weights = kll_retained(merged)
        assert len(items) == merged.num_retained and weights.sum() == merged.n, trial
        order = np.argsort(items, kind="stable")
        points, cumulative = items[order], np.cumsum(weights[order]) / merged.n
        last = np.r_[points[1:] != points[:-1], True]
        ranks = [merged.get_rank(float(p), True) for p in points[last]]
        assert np.allclose(cumulative[last], ranks, rtol=0, atol=1e-12), trial
    single, empty = datasketches.kll_doubles_sketch(KLL_K), datasketches.kll_doubles_sketch(KLL_K)
    single.update(np.array([2.5]))
    assert [a.tolist() for a in kll_retained(single)] == [[2.5], [1.0]]
    assert [len(a) for a in kll_retained(empty)] == [0, 0]


def test_the_size_from_which_the_gaussian_wasserstein_null_applies_is_where_the_tails_stop_weighing():
    from plumbline.monitoring import thresholds
    from plumbline.monitoring.drift import bridge_geometry, bridge_table

    rng = np.random.default_rng(9)
    for values in (rng.normal(size=50_000), rng.pareto(1.5, 50_000), rng.poisson(3, 5_000).astype(float)):
        numeric = profile(pd.DataFrame({"x": values}))["x"].numeric
        start = bridge_table(numeric)["gaussian_from"]
        levels, low, high = bridge_geometry(numeric)
        for rows in sorted({1, 2, 50, 99, 100, 101, 1_000, 4_999, 5_000, numeric.n} | ({start - 1, start} if start else set())):
            if 1 <= rows <= numeric.n:
                gaussian = thresholds.tail_share(levels, low, high, rows) <= thresholds.TAIL_SHARE
                assert gaussian == (start is not None and rows >= start), (rows, start)


def test_the_quantile_of_sorted_simulations_is_numpys_to_the_last_bit():
    from plumbline.monitoring.thresholds import ALPHA, sorted_quantile

    rng = np.random.default_rng(10)
    for n in [*range(1, 40), 399, 400, 1000]:
        for values in (np.sort(rng.normal(size=n) * 10.0 ** rng.integers(-5, 5)),
                       np.sort(rng.integers(0, 4, n).astype(float))):
            for q in (1 - ALPHA, 0.5, 0.9, 0.0, 1.0):
                assert sorted_quantile(values, q) == float(np.quantile(values, q)), (n, q)
    assert np.isnan(sorted_quantile(np.array([1.0, np.nan]), 0.5))
