"""The browser's lineage queries (TypeScript, src/queries) run by Node on a store a real kernel wrote.

Staleness is decided in the browser, in SQL over the replica; pytest checks
its rules end to end (kernel -> store -> snapshot -> the very same query code)
by compiling src/queries to CommonJS once per test session and running it on
the store's snapshot, as the server serializes it for the browser.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from plumbline.store import Store

ROOT = Path(__file__).resolve().parents[2]
_compiled: Path | None = None

RUNNER = r"""
const fs = require('fs');
const path = require('path');
const initSqlJs = require(path.join(process.env.ROOT, 'node_modules', 'sql.js'));
const { staleness } = require(path.join(process.env.OUT, 'lineage', 'staleness.js'));
const request = JSON.parse(fs.readFileSync(0, 'utf-8'));
initSqlJs().then(SQL => {
  const db = new SQL.Database(fs.readFileSync(request.snapshot));
  const sources = request.sources || {};
  const result = staleness(db, request.notebook, request.cells, {
    kernelSession: request.kernelSession === '__unknown__' ? undefined : request.kernelSession,
    sourcesOf: p => sources[p]
  });
  process.stdout.write(JSON.stringify([...result]));
});
"""


def _compile() -> Path:
    global _compiled
    if _compiled is None:
        out = Path(tempfile.mkdtemp(prefix="plumbline-tsqueries-"))
        subprocess.run(
            [str(ROOT / "node_modules" / ".bin" / "tsc"), "--outDir", str(out), "--module", "commonjs",
             "--target", "ES2018", "--esModuleInterop", "--skipLibCheck", "--strict", "--types", "node",
             "--rootDir", str(ROOT / "src" / "queries"), str(ROOT / "src" / "queries" / "lineage" / "staleness.ts")],
            check=True, cwd=ROOT, capture_output=True, text=True,
        )
        (out / "run.js").write_text(RUNNER, "utf-8")
        _compiled = out
    return _compiled


def staleness(db: str, notebook: str, cells: list[tuple[str, str]], *, kernel_session="__unknown__",
              sources: dict | None = None) -> dict:
    """component key -> its reasons, as the browser would show them."""
    out = _compile()
    bytes_, _ = Store(db).snapshot()
    with tempfile.NamedTemporaryFile(suffix=".db", delete=False) as f:
        f.write(bytes_)
    try:
        request = {
            "snapshot": f.name, "notebook": notebook, "kernelSession": kernel_session,
            "cells": [{"id": i, "source": s} for i, s in cells],
            "sources": {p: [{"id": i, "source": s} for i, s in c] for p, c in (sources or {}).items()},
        }
        done = subprocess.run(["node", str(out / "run.js")], input=json.dumps(request), capture_output=True,
                              text=True, check=True, env={"ROOT": str(ROOT), "OUT": str(out), "PATH": "/usr/bin:/bin"})
    finally:
        Path(f.name).unlink()
    return {key: reasons for key, reasons in json.loads(done.stdout)}
