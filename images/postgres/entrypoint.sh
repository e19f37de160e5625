#!/bin/bash
# Imitates the official postgres image's entrypoint: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB,
# /docker-entrypoint-initdb.d/*.sql|*.sql.gz|*.sh run once against a socket-only server, SCRAM for
# every TCP login, and `img -c key=value` passes settings to postgres. Any other command is exec'd.
set -euo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown -R postgres:postgres "$PGDATA" /run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

run_psql() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --host /run/postgresql "$@"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "error: POSTGRES_PASSWORD must be set (this image only allows password logins over TCP)" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  {
    echo "listen_addresses = '*'"
    echo "password_encryption = 'scram-sha-256'"
    echo "unix_socket_directories = '/run/postgresql'"
  } >>"$PGDATA/postgresql.conf"
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"

  # Init scripts run against a server that only listens on its socket, so nobody can connect over
  # TCP (and the health check stays red) until initialisation is complete.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    run_psql --dbname postgres --set db="$POSTGRES_DB" <<'SQL'
CREATE DATABASE :"db";
SQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then echo "initdb: running $f"; "$f"; else echo "initdb: sourcing $f"; . "$f"; fi ;;
      *.sql) echo "initdb: running $f"; run_psql --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "initdb: running $f"; gunzip -c "$f" | run_psql --dbname "$POSTGRES_DB" ;;
      *) echo "initdb: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "initdb: complete; starting postgres"
fi

shift
exec postgres -D "$PGDATA" "$@"
