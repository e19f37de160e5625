#!/bin/sh
# Entrypoint of mcpgw's DB-mode image: migrate like the real image does at start-up, then run LiteLLM.
set -e
if [ -n "${DATABASE_URL:-}" ]; then
  node /opt/prisma-engine-shim/migrate-deploy.mjs \
    "$(python -c 'import litellm_proxy_extras, os; print(os.path.join(os.path.dirname(litellm_proxy_extras.__file__), "migrations"))')"
fi
exec litellm "$@"
