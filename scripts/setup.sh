#!/usr/bin/env bash
# Set up auditkit on a fresh machine: Debian packages WeasyPrint needs, a virtualenv in .venv,
# and the package with its extras. Idempotent; safe to run again.
#   scripts/setup.sh          runtime only (+ postgres/mysql drivers)
#   scripts/setup.sh --test   also the test extra (pytest, mlflow, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

extras="postgres,mysql,explain"
[ "${1:-}" = "--test" ] && extras="postgres,mysql,explain,test"

need_apt=()
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils; do
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
