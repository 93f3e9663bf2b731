#!/usr/bin/env bash
# Sets up Plumbline and starts JupyterLab on localhost with the example notebook.
# The example folder is the server root, so its store is examples/.plumbline/lineage.db.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd examples
extra=()
if [ "$(id -u)" = 0 ]; then extra+=(--allow-root); fi
exec jupyter lab --ip=127.0.0.1 --port="${PORT:-8888}" --ServerApp.root_dir="$PWD" "${extra[@]}" "$@" demo.ipynb
