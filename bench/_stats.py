"""Summary statistics shared by the benchmarks (run as `python bench/<name>.py`)."""

import statistics


def median(values: list[float]) -> float:
    return statistics.median(values)


def p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def ms(seconds: float) -> float:
    return seconds * 1000.0
