"""Builds the deterministic lineage store behind plumbline/tests/fixtures/lineage-v1.json.

The lineage queries of the browser (src/queries/lineage.ts) are tested in jest
on this change page, and pytest checks the Python store still produces it, so
both languages agree on what a recorded pipeline looks like. Regenerate after a
deliberate change with:
    python -m plumbline.tests.fixture_lineage > plumbline/tests/fixtures/lineage-v1.json

The story (times are T0 + seconds):

  pipeline.ipynb, kernel session-p
    10 load       reads file data/flights.csv (from outside)        -> raw
    20 clean      reads raw                                         -> df (assigned)
    30 featurize  reads df                                          -> df (mutated), file features.parquet,
                                                                       FEATURES (a constant: depends on nothing)
    40 split      reads df, FEATURES                                -> X_train, X_test, y_train, y_test
    50 train      reads X_train, y_train                            -> model
    60 predict    reads model, X_test                               -> predictions
    70 (no component) reads predictions                             -> nothing (a peek)
  report.ipynb, kernel session-r
    80 report     reads file features.parquet (written at 30)       -> summary
  pipeline.ipynb again
    90 clean      (code changed) reads raw                          -> df with other content
  flags: predictions (run 60) and summary (run 80) are wrong.
  Every variable output names the inputs it was made from (depends_on: all its
  run's inputs, FEATURES none; file outputs: not known). What the kernels
  hold at the end (kernel_bindings): session-p each name's latest version,
  session-r summary.
"""

from __future__ import annotations

import json
import sys

from plumbline.store import Binding, ComponentInfo, IORecord, KernelSession, RunEnd, RunStart, Store, io_id

from .fixture_store import first_page

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z

# (run id, seconds, notebook, session, cell, component, code, inputs, outputs)
# inputs: (kind, name, hash, source run id or None); outputs: (kind, name, how, hash, rows)
RUNS = [
    ("run-load", 10, "pipeline.ipynb", "session-p", "cell-load", "load",
     "raw = pd.read_csv('data/flights.csv')",
     [("file", "data/flights.csv", "f-csv", None)],
     [("variable", "raw", "assigned", "h-raw", 1000)]),
    ("run-clean", 20, "pipeline.ipynb", "session-p", "cell-clean", "clean",
     "df = raw.dropna()",
     [("variable", "raw", "h-raw", "run-load")],
     [("variable", "df", "assigned", "h-df1", 950)]),
    ("run-feat", 30, "pipeline.ipynb", "session-p", "cell-feat", "featurize",
     "df['speed'] = df['distance'] / df['time']\ndf.to_parquet('features.parquet')\nFEATURES = ['speed']",
     [("variable", "df", "h-df1", "run-clean")],
     [("variable", "df", "mutated", "h-df2", 950), ("file", "features.parquet", "written", "f-feat", None),
      ("variable", "FEATURES", "assigned", "h-features", 1)]),
    ("run-split", 40, "pipeline.ipynb", "session-p", "cell-split", "split",
     "X_train, X_test, y_train, y_test = split(df[FEATURES])",
     [("variable", "df", "h-df2", "run-feat"), ("variable", "FEATURES", "h-features", "run-feat")],
     [("variable", "X_train", "assigned", "h-xtr", 700), ("variable", "X_test", "assigned", "h-xte", 250),
      ("variable", "y_train", "assigned", "h-ytr", 700), ("variable", "y_test", "assigned", "h-yte", 250)]),
    ("run-train", 50, "pipeline.ipynb", "session-p", "cell-train", "train",
     "model = LogisticRegression().fit(X_train, y_train)",
     [("variable", "X_train", "h-xtr", "run-split"), ("variable", "y_train", "h-ytr", "run-split")],
     [("variable", "model", "assigned", "h-model", None)]),
    ("run-predict", 60, "pipeline.ipynb", "session-p", "cell-predict", "predict",
     "predictions = model.predict(X_test)",
     [("variable", "model", "h-model", "run-train"), ("variable", "X_test", "h-xte", "run-split")],
     [("variable", "predictions", "assigned", "h-pred", 250)]),
    ("run-peek", 70, "pipeline.ipynb", "session-p", "cell-peek", None,
     "predictions[:5]",
     [("variable", "predictions", "h-pred", "run-predict")],
     []),
    ("run-report", 80, "report.ipynb", "session-r", "cell-report", "report",
     "summary = pd.read_parquet('features.parquet').describe()",
     [("file", "features.parquet", "f-feat", None)],
     [("variable", "summary", "assigned", "h-summary", 8)]),
    ("run-clean-2", 90, "pipeline.ipynb", "session-p", "cell-clean", "clean",
     "df = raw.dropna().drop_duplicates()",
     [("variable", "raw", "h-raw", "run-load")],
     [("variable", "df", "assigned", "h-df3", 940)]),
]

FLAGS = [("run-predict", "predictions"), ("run-report", "summary")]
CONSTANTS = {("run-feat", "FEATURES")}  # outputs that depend on no input
DEFINITIONS = {"clean": ComponentInfo(owner="ana", description="Drops flights with missing values.",
                                      tags=("quality",))}


def build(path: str) -> Store:
    store = Store(path)
    for session, pid in (("session-p", 200), ("session-r", 201)):
        store.register_session(KernelSession(id=session, hostname="host", pid=pid, started_at=T0,
                                             python_version="3.11.7", plumbline_version="0.1.0"))
    for count, (run_id, at, notebook, session, cell, component, code, inputs, outputs) in enumerate(RUNS, 1):
        started = T0 + at
        store.start_run(RunStart(id=run_id, kernel_session=session, code=code, started_at=started,
                                 notebook_path=notebook, cell_id=cell, component_name=component,
                                 execution_count=count, git_commit="0123abcd",
                                 component=DEFINITIONS.get(component)))
        store.finish_run(RunEnd(id=run_id, ended_at=started + 0.5 * count, status="ok", execution_count=count))
        store.record_io(
            [IORecord(run_id=run_id, direction="input", kind=kind, name=name, how="read", created_at=started,
                      type="file" if kind == "file" else "pandas.core.frame.DataFrame", value_hash=digest,
                      strategy="full",
                      source_io_id=None if source is None else io_id(source, "output", kind, name),
                      source_run_id=source)
             for kind, name, digest, source in inputs]
            + [IORecord(run_id=run_id, direction="output", kind=kind, name=name, how=how,
                        created_at=started + 0.5 * count,
                        type="file" if kind == "file" else "pandas.core.frame.DataFrame", value_hash=digest,
                        strategy="full", row_count=rows,
                        shape=None if rows is None else (rows, 4),
                        depends_on=None if kind == "file" else () if (run_id, name) in CONSTANTS else tuple(
                            io_id(run_id, "input", k, n) for k, n, _, _ in inputs))
               for kind, name, how, digest, rows in outputs]
        )
    held: dict[tuple[str, str], str] = {}
    for run_id, _, _, session, _, _, _, _, outputs in RUNS:
        for kind, name, *_ in outputs:
            if kind == "variable":
                held[(session, name)] = run_id
    for (session, name), run_id in sorted(held.items()):
        store.record_bindings(session, run_id, T0 + 95, [Binding(name, io_id(run_id, "output", "variable", name))])
    for run_id, name in FLAGS:
        store.set_flag(io_id(run_id, "output", "variable", name), True, "looks wrong")
    return store


def changes() -> dict:
    page = first_page(build)
    # flagged_at is the wall clock of set_flag: pin it so the fixture is stable.
    flags = page["tables"].get("flags")
    if flags:
        at = flags["columns"].index("flagged_at")
        for row in flags["rows"]:
            row[at] = T0 + 100
    return page


if __name__ == "__main__":
    json.dump(changes(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
