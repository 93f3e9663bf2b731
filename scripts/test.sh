#!/usr/bin/env bash
# Sets up Plumbline (with Debian chromium) and runs every test: jest, pytest, Galata.
set -euo pipefail
cd "$(dirname "$0")/.."
PLUMBLINE_SETUP_BROWSER=1 bash scripts/setup.sh

echo "== jest (TypeScript, real sql.js)"
jlpm test

echo "== pytest (real kernels, real SQLite, real Jupyter server)"
python3 -m pytest -q

echo "== Galata (real JupyterLab in headless Debian chromium)"
(cd ui-tests && jlpm test)

echo "== the wheel in fresh virtualenvs with the oldest supported and the newest JupyterLab 4"
bash scripts/check-install.sh
