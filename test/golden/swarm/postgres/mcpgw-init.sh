#!/bin/sh
# Rendered by mcpgw. The Postgres image runs it once, on the volume's first start, as the bootstrap superuser
# (mcpgw's admin role): LiteLLM's role as an ordinary role owning its database, so a stack started by
# `docker compose up` alone works too. `mcpgw up` checks the same on every run and does the rest (mcpgw's keys
# role, the pg_hba lines that refuse LiteLLM's role from the Docker host, moving older volumes over).
set -e
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres --set role="$MCPGW_LITELLM_ROLE" --set db="$POSTGRES_DB" <<'SQL'
\getenv pw MCPGW_LITELLM_PASSWORD
SET password_encryption = 'scram-sha-256';
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
ALTER DATABASE :"db" OWNER TO :"role";
SQL
