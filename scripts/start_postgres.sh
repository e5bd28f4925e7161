#!/usr/bin/env bash
# Start a throwaway PostgreSQL (trust auth) from Debian's binaries on $AUDITKIT_PG_PORT, for
# machines where none answers. initdb refuses to run as root, so it runs as user postgres.
set -euo pipefail
port=${AUDITKIT_PG_PORT:-5432}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "start_postgres: no PostgreSQL binaries; install Debian's postgresql" >&2; exit 1
  fi
fi
data=$(mktemp -d /tmp/auditkit-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd -r -m postgres
  chown postgres "$data"; as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$data" -o "-p $port -k $data -c listen_addresses=127.0.0.1" -l "$data/log" -w start >/dev/null
"$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -c "CREATE ROLE root SUPERUSER LOGIN" >/dev/null 2>&1 || true
echo "start_postgres: throwaway server in $data on port $port"
