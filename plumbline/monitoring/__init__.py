"""Monitoring: profiles of tables and drift between them, computed in Python and rendered by the browser.

* ``kinds.py`` — what kind each column is (numbers, times, categories) and its values;
* ``binning.py`` — histograms on one power-of-two lattice shared by every profile;
* ``profiles.py`` — ``Profile``: exact moments, lattice histogram, KLL, frequent items, HLL; merge, bytes;
* ``thresholds.py`` — thresholds resampled from the reference at the compared size;
* ``drift.py`` — the measures and per-column verdicts;
* ``multivariate.py`` — PCA reconstruction error against the reference;
* ``display.py`` — the ``application/vnd.plumbline.drift+json`` bundle, Vega-Lite and text;
* ``storage.py`` — profile files beside the store;
* ``api.py`` — ``plumbline.drift`` and ``plumbline.profile``;
* ``monitor.py`` — ``plumbline.monitor``: predictions and labels into windows kept incrementally;
* ``estimation.py`` — CBPE, importance-weighted and DLE estimates from a window's sums;
* ``windowing.py``, ``monitor_files.py`` — windows; the monitor's folder, id index and rows;
* ``monitor_display.py`` — the ``application/vnd.plumbline.monitor+json`` bundle;
* ``triggers.py`` — monitor alerts and labels asking for pipeline runs.

Importing this package imports no numpy, pandas, scipy or datasketches: each
module imports them inside the functions that compute.
"""

from __future__ import annotations


def __getattr__(name):
    # ``plumbline.monitoring.drift`` is the module of the measures; the function is ``plumbline.drift``.
    if name in ("profile", "DriftResult"):
        from . import api

        return getattr(api, name)
    if name == "Profile":
        from .profiles import Profile

        return Profile
    raise AttributeError(f"module 'plumbline.monitoring' has no attribute {name!r}")
