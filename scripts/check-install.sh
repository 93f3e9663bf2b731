#!/usr/bin/env bash
# What users get is the wheel, not this source tree: build it (production labextension) and
# install it into fresh virtualenvs with the oldest supported and the newest JupyterLab 4. In
# each: both extensions listed enabled and OK (none "not compatible"); a page load in headless
# Debian chromium shows the Plumbline panels without console errors or version warnings; a
# kernel records a run. Run by scripts/test.sh after setup.sh (it needs ui-tests' Playwright).
#   PLUMBLINE_CHECK_JUPYTERLAB="4.2.7 4.6.6"   the versions to check
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
versions=${PLUMBLINE_CHECK_JUPYTERLAB:-"4.2.7 4.6.6"}
work="$(mktemp -d /tmp/plumbline-install-XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the wheel from the tracked files (production labextension)"
mkdir -p "$work/src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work/src"
ln -s "$repo/node_modules" "$work/src/node_modules"
(cd "$work/src" && python3 -m pip wheel . --no-deps -w "$work/dist" -q --disable-pip-version-check)
wheel="$(ls "$work"/dist/jupyterlab_plumbline-*.whl)"
echo "   $(basename "$wheel")"

for version in $versions; do
  echo "== JupyterLab $version: a fresh virtualenv with the wheel"
  venv="$work/venv-$version"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "jupyterlab==$version" "$wheel"
  labextensions="$("$venv/bin/jupyter" labextension list 2>&1)"
  serverextensions="$("$venv/bin/jupyter" server extension list 2>&1)"
  if ! grep -q "jupyterlab-plumbline.*enabled.*OK" <<<"$labextensions" || grep -qi "not compatible" <<<"$labextensions"; then
    echo "JupyterLab $version: the Plumbline labextension is not enabled and compatible:" >&2
    echo "$labextensions" >&2
    exit 1
  fi
  grep -q "plumbline.*OK" <<<"$serverextensions" \
    || { echo "JupyterLab $version: the Plumbline server extension is not enabled:" >&2; echo "$serverextensions" >&2; exit 1; }

  root="$work/root-$version"
  mkdir -p "$root"
  "$venv/bin/python" - "$root/check.ipynb" <<'PY'
import sys, nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, sys.argv[1])
PY
  token="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  extra=()
  if [ "$(id -u)" = 0 ]; then extra+=(--allow-root); fi
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  (cd "$root" && exec env -u PLUMBLINE_DB "$venv/bin/jupyter" lab --no-browser --ip=127.0.0.1 --port="$port" \
    --ServerApp.port_retries=0 --IdentityProvider.token="$token" --ServerApp.root_dir="$root" \
    "${extra[@]}" >"$work/server-$version.log" 2>&1) &
  server_pid=$!
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/api/status?token=$token" >/dev/null; then break; fi
    sleep 0.5
  done
  echo "== JupyterLab $version: a page load in headless chromium"
  if ! (cd ui-tests && PLUMBLINE_INSTALL_URL="http://127.0.0.1:$port/?token=$token" \
        PLUMBLINE_INSTALL_NOTEBOOK=check.ipynb jlpm playwright test -c playwright.install.config.js); then
    echo "--- server log" >&2; tail -50 "$work/server-$version.log" >&2
    exit 1
  fi
  runs="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM runs WHERE status = '"'ok'"'").fetchone()[0])' "$root/.plumbline/lineage.db")"
  [ "$runs" -ge 1 ] || { echo "JupyterLab $version: no run was recorded in $root/.plumbline/lineage.db" >&2; exit 1; }
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "   JupyterLab $version: OK ($runs run recorded)"
done
echo "== the wheel installs cleanly into JupyterLab $versions"
