"""Performance-estimation scenarios on real data (flights-3m), shared by the tests and ``bench/estimation.py``.

* a ``HistGradientBoostingClassifier`` of "delay > 15 min" from hour, weekday, distance, origin and
  destination, trained on (a sample of) 1–21 January 2001;
* the rest of January split at random into a **reference** and a **production** pool;
* **covariate shift**: 8 production batches drawn with weights that depend on the features only
  (hour of day, distance band, hub airports, weekend), so P(y | x) is the reference's;
* **real months**: weekly windows February–June (a sample of each week), where the weather changes
  P(y | x) and no feature shows it.

Everything is seeded; the same call returns the same frames.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import flights_3m

FEATURES = ["hour", "weekday", "distance", "origin", "destination"]
HUBS = ("ORD", "ATL", "DFW", "LAX", "DEN", "PHX", "IAH", "DTW", "MSP", "STL")
TRAIN_ROWS = 200_000
BATCH_ROWS = 10_000
WEEK_ROWS = 20_000
SEED = 12


@dataclass
class Batch:
    name: str
    frame: pd.DataFrame  # FEATURES, date, delay (minutes) and y (delay > 15)
    proba: np.ndarray  # the model's P(y = 1)


@dataclass
class Scenario:
    model: object
    reference: pd.DataFrame
    reference_proba: np.ndarray
    production: pd.DataFrame
    production_proba: np.ndarray
    categories: dict


def frame_of(raw: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "hour": raw["date"].dt.hour.to_numpy(),
        "weekday": raw["date"].dt.weekday.to_numpy(),
        "distance": raw["distance"].to_numpy(dtype=float),
        "origin": raw["origin"].astype(object).to_numpy(),
        "destination": raw["destination"].astype(object).to_numpy(),
        "date": raw["date"].to_numpy(),
        "delay": raw["delay"].to_numpy(),
    })
    out["y"] = (raw["delay"].to_numpy() > 15).astype(np.int8)
    return out


@functools.lru_cache(maxsize=1)
def flights() -> pd.DataFrame:
    return frame_of(pd.read_parquet(flights_3m()))


def model_input(frame: pd.DataFrame, categories: dict) -> pd.DataFrame:
    x = frame[FEATURES].copy()
    for name in ("origin", "destination"):
        x[name] = pd.Categorical(x[name], categories=categories[name])
    return x


def predict(model, frame: pd.DataFrame, categories: dict) -> np.ndarray:
    return model.predict_proba(model_input(frame, categories))[:, 1]


@functools.lru_cache(maxsize=1)
def january() -> Scenario:
    from sklearn.ensemble import HistGradientBoostingClassifier

    data = flights()
    day = data["date"].dt.day
    jan = data["date"].dt.month == 1
    train = data[jan & (day <= 21)]
    rest = data[jan & (day > 21)].reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    train = train.iloc[rng.choice(len(train), min(TRAIN_ROWS, len(train)), replace=False)]
    # The 200 commonest airports as categories (HistGradientBoosting takes at most 255), the rest unknown.
    categories = {name: list(train[name].value_counts().index[:200]) for name in ("origin", "destination")}
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, max_leaf_nodes=31,
                                           categorical_features="from_dtype", random_state=SEED)
    model.fit(model_input(train, categories), train["y"].to_numpy())
    order = rng.permutation(len(rest))
    half = len(rest) // 2
    reference = rest.iloc[order[:half]].reset_index(drop=True)
    production = rest.iloc[order[half:]].reset_index(drop=True)
    return Scenario(model, reference, predict(model, reference, categories), production,
                    predict(model, production, categories), categories)


def bias_weights(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Sampling weights per batch: functions of the features alone (covariate shift)."""
    hour, dist = frame["hour"].to_numpy(), frame["distance"].to_numpy()
    hub = frame["origin"].isin(HUBS).to_numpy() | frame["destination"].isin(HUBS).to_numpy()
    weekend = frame["weekday"].to_numpy() >= 5
    one = np.ones(len(frame))
    return {
        "evening (17–23 h)": np.where(hour >= 17, 5.0, 1.0),
        "morning (5–10 h)": np.where((hour >= 5) & (hour <= 10), 5.0, 1.0),
        "long haul (> 1,500 mi)": np.where(dist > 1500, 6.0, 1.0),
        "short haul (< 500 mi)": np.where(dist < 500, 5.0, 1.0),
        "hub airports": np.where(hub, 5.0, 1.0),
        "no hub": np.where(hub, 0.2, 1.0),
        "weekend": np.where(weekend, 6.0, 1.0),
        "weekday evenings at hubs": one * np.where(weekend, 0.3, 1.0) * np.where(hour >= 16, 3.0, 1.0)
        * np.where(hub, 3.0, 1.0),
    }


def covariate_shift_batches(rows: int = BATCH_ROWS) -> list[Batch]:
    s = january()
    rng = np.random.default_rng(SEED + 1)
    out = []
    for name, w in bias_weights(s.production).items():
        take = rng.choice(len(s.production), rows, replace=False, p=w / w.sum())
        out.append(Batch(name, s.production.iloc[take].reset_index(drop=True), s.production_proba[take]))
    return out


def weekly_batches(rows: int = WEEK_ROWS) -> list[Batch]:
    """Weeks (Monday to Sunday) of February–June 2001, ``rows`` sampled from each."""
    s = january()
    data = flights()
    months = data["date"].dt.month
    part = data[(months >= 2) & (months <= 6)]
    monday = (part["date"].dt.normalize() - pd.to_timedelta(part["date"].dt.weekday, unit="D"))
    rng = np.random.default_rng(SEED + 2)
    out = []
    for start, week in part.groupby(monday, sort=True):
        week = week.iloc[rng.choice(len(week), min(rows, len(week)), replace=False)].reset_index(drop=True)
        out.append(Batch(pd.Timestamp(start).strftime("%Y-%m-%d"), week, predict(s.model, week, s.categories)))
    return out
