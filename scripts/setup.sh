#!/usr/bin/env bash
# Installs everything Plumbline needs on a fresh Debian machine, then builds it.
# Idempotent: a second run only re-checks. Used by demo.sh, test.sh and .ci/run.
#   PLUMBLINE_SETUP_BROWSER=1  also install Debian's chromium and the UI-test packages
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${PLUMBLINE_SETUP_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian chromium"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

echo "== installing Python packages"
python3 -m pip install -q --disable-pip-version-check 'jupyterlab==4.6.4' 'jupyter-builder==1.2.3' \
  'hatchling>=1.5' 'hatch-nodejs-version>=0.3.2' 'hatch-jupyter-builder>=0.5'

echo "== installing npm packages"
jlpm install --immutable

echo "== building the extension"
jlpm build
# `labextension develop` links the data dir to a checkout. pip's uninstall of the
# previous install follows that link (it moved another checkout's build away and
# then failed on the dangling link), so drop the link first; develop remakes it.
python3 - <<'PY'
import os, sys
link = os.path.join(sys.prefix, "share", "jupyter", "labextensions", "jupyterlab-plumbline")
if os.path.islink(link):
    os.unlink(link)
PY
# Plumbline's distribution was called `plumbline` before it became `jupyterlab-plumbline`: an
# old editable install would keep another checkout on sys.path.
python3 - <<'PY'
import subprocess, sys
from importlib import metadata
try:
    old = metadata.distribution("plumbline")
except metadata.PackageNotFoundError:
    old = None
if old is not None and "schedulable ML pipelines from JupyterLab" in (old.metadata.get("Summary") or ""):
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", "plumbline"], check=True)
PY
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
jupyter labextension develop . --overwrite >/dev/null

if [ "${PLUMBLINE_SETUP_BROWSER:-0}" = 1 ]; then
  echo "== installing UI-test packages"
  (cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 jlpm install --immutable)
fi

# Capture first: `cmd | grep -q` under pipefail fails at random when grep exits
# early and the listing dies of SIGPIPE.
labextensions="$(jupyter labextension list 2>&1)"
serverextensions="$(jupyter server extension list 2>&1)"
grep -q "jupyterlab-plumbline.*enabled.*OK" <<<"$labextensions" \
  || { echo "the Plumbline labextension is not enabled:"; echo "$labextensions"; exit 1; } >&2
grep -q "plumbline.*OK" <<<"$serverextensions" \
  || { echo "the Plumbline server extension is not enabled:"; echo "$serverextensions"; exit 1; } >&2
echo "== Plumbline is installed"
