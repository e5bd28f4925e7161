#!/usr/bin/env bash
# Set up auditkit on a fresh machine: Debian packages WeasyPrint needs (and poppler-utils and
# libnss3-tools: pdfsig and certutil, the independent signature checker of tests/signing; with --test
# chromium, the browser of tests/web), a virtualenv in .venv,
# and the package with its extras. Idempotent; safe to run again.
#   scripts/setup.sh          runtime only (+ postgres/mysql drivers)
#   scripts/setup.sh --test   also the test extra (pytest, mlflow, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

extras="postgres,mysql,explain"
[ "${1:-}" = "--test" ] && extras="postgres,mysql,explain,test"

need_apt=()
apt_pkgs="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils libnss3-tools"
# tests/web drive Debian's chromium (headless) with Playwright's Python package.
[ "${1:-}" = "--test" ] && apt_pkgs="$apt_pkgs chromium"
for pkg in $apt_pkgs; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install Debian packages: ${need_apt[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.auditkit-$extras-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[$extras]"
  touch "$stamp"
fi
# The tests write ML Metadata stores with Google's ml-metadata client, whose protobuf pin
# conflicts with the test extra: it gets a throwaway venv of its own (.venv-mlmd).
if [ "${1:-}" = "--test" ]; then
  scripts/mlmd_venv.sh >/dev/null
fi
