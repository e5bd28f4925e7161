#!/usr/bin/env bash
# Run auditkit's whole test suite on a fresh machine: installs what the tests need (Debian
# packages, .venv with the test extras), makes sure a PostgreSQL server answers (starting a
# throwaway one from Debian's binaries where none does), then runs pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -k sqlite -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

export AUDITKIT_PG_HOST=${AUDITKIT_PG_HOST:-127.0.0.1}
export AUDITKIT_PG_PORT=${AUDITKIT_PG_PORT:-5432}
export AUDITKIT_MYSQL_HOST=${AUDITKIT_MYSQL_HOST:-127.0.0.1}
export AUDITKIT_MYSQL_PORT=${AUDITKIT_MYSQL_PORT:-3306}

pg_answers() {
  .venv/bin/python - "$AUDITKIT_PG_HOST" "$AUDITKIT_PG_PORT" <<'PY' >/dev/null 2>&1
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
PY
}
if ! pg_answers; then
  scripts/start_postgres.sh
fi

exec .venv/bin/python -m pytest "$@"
