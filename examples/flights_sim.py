"""Simulated days of flights for the demo: features, a departure time, and whether the flight was late.

Day 0 is 2026-11-01. From day 14 on, a storm season makes flights later than their features
say (the same hour, distance and airport, a higher chance of a delay): P(late | features)
changes, which no estimator can see before the labels arrive. Weekends have more long flights.
"""

import numpy as np
import pandas as pd

FEATURES = ["hour", "distance", "origin", "weekday"]
START = pd.Timestamp("2026-11-01", tz="UTC")
AIRPORTS = ["SEA", "SFO", "ORD", "JFK", "ATL", "DEN"]
STORMS_FROM = 14


def flights(days, n=2000, seed=0):
    """``n`` flights for each day in ``days``."""
    parts = []
    for day in days:
        rng = np.random.default_rng(seed * 1000 + day)
        date = START + pd.Timedelta(days=day)
        weekend = date.weekday() >= 5
        hour = rng.integers(5, 24, n)
        distance = rng.gamma(2.0, 600.0 if weekend else 400.0, n).round()
        origin = rng.choice(AIRPORTS, n, p=[0.2, 0.2, 0.2, 0.15, 0.15, 0.1])
        hub = np.isin(origin, ["ORD", "JFK", "ATL"])
        logit = -1.6 + 0.09 * (hour - 12) + 0.0003 * (distance - 800) + 0.6 * hub
        if day >= STORMS_FROM:
            logit = logit + 0.9  # storms: later than the features say
        late = rng.random(n) < 1 / (1 + np.exp(-logit))
        parts.append(pd.DataFrame({
            "flight_id": [f"d{day:03d}-{i:05d}" for i in range(n)],
            "departure": date + pd.to_timedelta(hour * 3600 + rng.integers(0, 3600, n), unit="s"),
            "day": day, "hour": hour, "distance": distance, "origin": pd.Categorical(origin, AIRPORTS),
            "weekday": date.weekday(), "late": late.astype(int),
        }))
    return pd.concat(parts, ignore_index=True)


def features(frame):
    """The model's inputs: airports as category codes."""
    out = frame[FEATURES].copy()
    out["origin"] = out["origin"].cat.codes
    return out
