#!/bin/sh
# redis-server with the password from REDIS_PASSWORD, handed over on stdin (`redis-server -` reads its settings
# there) so no process list or `docker inspect` shows it, and removed from the environment redis-server keeps.
# Any other command is exec'd as it is.
set -eu
if [ "${1:-}" != redis-server ]; then
  exec "$@"
fi
shift
if [ -z "${REDIS_PASSWORD:-}" ]; then
  echo "error: REDIS_PASSWORD must be set (this image refuses to serve without a password)" >&2
  exit 1
fi
# Redis's config syntax takes a double-quoted string with backslash escapes.
password=$(printf '%s' "$REDIS_PASSWORD" | sed 's/[\\"]/\\&/g')
unset REDIS_PASSWORD
exec redis-server - "$@" <<CONF
port 6379
bind * -::*
save ""
appendonly no
dir /tmp
requirepass "$password"
CONF
