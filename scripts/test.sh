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

answers() {  # answers HOST PORT: a server accepts connections there
  .venv/bin/python - "$1" "$2" <<'PY' >/dev/null 2>&1
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
PY
}
if ! answers "$AUDITKIT_PG_HOST" "$AUDITKIT_PG_PORT"; then
  scripts/start_postgres.sh
fi
# MariaDB is installed and started on this kind of machine; start it again if it has stopped.
if ! answers "$AUDITKIT_MYSQL_HOST" "$AUDITKIT_MYSQL_PORT" && [ -x /usr/sbin/mariadbd ] && [ "$(id -u)" = 0 ]; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 30); do answers "$AUDITKIT_MYSQL_HOST" "$AUDITKIT_MYSQL_PORT" && break; sleep 1; done
fi

exec .venv/bin/python -m pytest "$@"
