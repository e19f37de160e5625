#!/usr/bin/env bash
# Prepares everything the integration tier needs on a machine without a container registry:
# the Docker engine (+ Compose v2 plugin), the product's images (Debian base, node, Postgres, LiteLLM
# and its DB mode, from images/) and the test-only images built on them, all by the product's builder,
# and LiteLLM's real DB schema SQL. Idempotent: a second run only checks hashes.
# Progress and per-step timings go to stderr; see test/stack/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${MCPGW_TEST_WORK:-$HERE/.work}
DOCKERD_LOG=${MCPGW_TEST_DOCKERD_LOG:-/var/log/mcpgw-test-dockerd.log}
DOCKER_PIDFILE=${MCPGW_TEST_DOCKER_PIDFILE:-/var/run/docker.pid}

# The product's images (names and versions pinned in src/images/builtin.ts, set by build_images) are
# built as `mcpgw images build` builds them, so the tests run what users run.
MCP_IMAGE=${MCPGW_TEST_MCP_IMAGE:-mcpgw-test/mcp:latest}
# The seed deployment's release (issue 24), from before MCP auto-execution on /v1/chat/completions (1.80.10):
# `mcpgw probe` is tested against a LiteLLM too old for it, and adopt/upgrade start from it, for real. The
# product's recipes (images/litellm, then images/litellm-db) at that version: the proxy layer without a DB and DB mode.
LITELLM_OLD_VERSION=${MCPGW_TEST_LITELLM_OLD_VERSION:-1.77.3}
LITELLM_OLD_IMAGE=${MCPGW_TEST_LITELLM_OLD_IMAGE:-mcpgw-test/litellm:$LITELLM_OLD_VERSION}
LITELLM_OLD_DB_IMAGE=${MCPGW_TEST_LITELLM_OLD_DB_IMAGE:-mcpgw-test/litellm-db:$LITELLM_OLD_VERSION}
EVERYTHING_VERSION=${MCPGW_TEST_EVERYTHING_VERSION:-2026.8.31}
# A third-party stdio-only server for the bridge tests and benchmark (images/mcp).
MEMORY_VERSION=${MCPGW_TEST_MEMORY_VERSION:-2026.8.31}
SUPERGATEWAY_VERSION=${MCPGW_TEST_SUPERGATEWAY_VERSION:-4.0.0}
SCHEMA_ROOT=${MCPGW_TEST_SCHEMA_ROOT:-$WORK/schema}
# Third-party Python MCP servers from PyPI (images/mcp-python): postgres-mcp needs Python >= 3.12, which
# bookworm lacks, so that image is built on a debootstrapped trixie base (python3 3.13). See README.md.
BASE_TRIXIE_IMAGE=${MCPGW_TEST_BASE_TRIXIE_IMAGE:-mcpgw-test/debian:trixie}
MCP_PYTHON_IMAGE=${MCPGW_TEST_MCP_PYTHON_IMAGE:-mcpgw-test/mcp-python:latest}
# postgres-mcp as its entrypoint, like crystaldba/postgres-mcp:0.3.0 (images/postgres-mcp), for the catalog entry.
POSTGRES_MCP_IMAGE=${MCPGW_TEST_POSTGRES_MCP_IMAGE:-mcpgw-test/postgres-mcp:0.3.0}
# A swarm node: Debian's dockerd in a container (images/swarm-node), three of them make the tests' swarm.
SWARM_NODE_IMAGE=${MCPGW_TEST_SWARM_NODE_IMAGE:-mcpgw-test/swarm-node:latest}
CA_BUNDLE=${MCPGW_TEST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

log() { printf '[prepare] %s\n' "$*" >&2; }
die() { printf '[prepare] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME CMD...: runs CMD and reports how long it took.
step() {
  local name=$1 t0; shift
  t0=$(now)
  "$@"
  log "$name: done in $(elapsed "$t0") s"
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  # promtool checks the rendered Prometheus scrape config and the dashboard's PromQL (observability test).
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  # The openwebui test's browser check: selenium (in Open WebUI's venv) drives Debian's headless Chromium.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} via apt"
    apt_install "${missing[@]}"
  fi
}

# A dockerd killed with SIGKILL leaves /var/run/docker.pid behind; if that PID is now reused by
# another process (or a zombie), a new dockerd refuses to start. Only a live dockerd may keep it.
remove_stale_pidfile() {
  local pidfile=$DOCKER_PIDFILE pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = dockerd ]; then
    return 0
  fi
  log "removing stale $pidfile (pid '${pid}' is not a running dockerd)"
  rm -f "$pidfile"
}

ensure_engine() {
  if docker info >/dev/null 2>&1; then return 0; fi
  remove_stale_pidfile
  log "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # Own session: dockerd must outlive prepare.sh and whatever spawned it (vitest, CI shell).
  setsid nohup dockerd --pidfile "$DOCKER_PIDFILE" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$! deadline=$((SECONDS + ${MCPGW_TEST_DOCKERD_TIMEOUT:-90}))
  # After an unclean stop dockerd cleans up orphaned containers first (~11 s measured).
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited during startup (log above, full log: $DOCKERD_LOG)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer 'docker info' within ${MCPGW_TEST_DOCKERD_TIMEOUT:-90} s"
    fi
    sleep 0.2
  done
}

debian_mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# Compose v2 is not packaged for bookworm: unpack the plugin from Debian 13's docker-compose .deb,
# fetched with a throw-away apt configuration so the system's sources stay untouched.
ensure_compose() {
  if docker compose version >/dev/null 2>&1; then return 0; fi
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" != bookworm ]; then
    apt_install docker-compose
    docker compose version >/dev/null 2>&1 || die "docker compose still missing after installing docker-compose"
    return 0
  fi
  local tmp mirror
  tmp=$(mktemp -d)
  mirror=$(debian_mirror)
  mkdir -p "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/sources.d"
  cat >"$tmp/sources.d/trixie.sources" <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  : >"$tmp/empty.list"
  local opts=(-o "Dir::Etc::SourceList=$tmp/empty.list" -o "Dir::Etc::SourceParts=$tmp/sources.d"
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::Archives=$tmp/archives"
    -o "Dir::State::Status=/var/lib/dpkg/status" -o "APT::Architecture=$(dpkg --print-architecture)"
    -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq >&2
  (cd "$tmp" && apt-get "${opts[@]}" download docker-compose >&2)
  dpkg-deb -x "$tmp"/docker-compose_*.deb "$tmp/x"
  install -D -m 0755 "$tmp/x/usr/libexec/docker/cli-plugins/docker-compose" \
    /usr/local/lib/docker/cli-plugins/docker-compose
  rm -rf "$tmp"
  docker compose version >&2
}

# dist/ is what `mcpgw images build` runs; .ci/run calls this script before `npm test` builds it.
ensure_dist() {
  if node "$ROOT/bin/mcpgw.js" images build --help >/dev/null 2>&1; then return 0; fi
  log "building dist/ (npm run build)"
  (cd "$ROOT" && npm run build --silent) >&2
}

# Every image the tier uses, through the product's builder (test/stack/build-images.mjs): the product's
# own images from images/ and the test-only ones from test/stack/images/, each rebuilt only when its recipe
# hash changes. Sets BASE_IMAGE, NODE_IMAGE, POSTGRES_IMAGE, LITELLM_IMAGE (no DB), LITELLM_DB_IMAGE,
# LITELLM_VERSION and PRISMA_PY_VERSION, the names src/images/builtin.ts pins.
build_images() {
  [ -r "$CA_BUNDLE" ] || die "CA bundle $CA_BUNDLE not readable"
  local names
  names=$(SSL_CERT_FILE=$CA_BUNDLE BUILD_LOG_DIR=$WORK/build-logs MCP_IMAGE=$MCP_IMAGE \
    LITELLM_OLD_VERSION=$LITELLM_OLD_VERSION LITELLM_OLD_IMAGE=$LITELLM_OLD_IMAGE LITELLM_OLD_DB_IMAGE=$LITELLM_OLD_DB_IMAGE \
    EVERYTHING_VERSION=$EVERYTHING_VERSION MEMORY_VERSION=$MEMORY_VERSION SUPERGATEWAY_VERSION=$SUPERGATEWAY_VERSION \
    BASE_TRIXIE_IMAGE=$BASE_TRIXIE_IMAGE MCP_PYTHON_IMAGE=$MCP_PYTHON_IMAGE POSTGRES_MCP_IMAGE=$POSTGRES_MCP_IMAGE \
    SWARM_NODE_IMAGE=$SWARM_NODE_IMAGE node "$HERE/build-images.mjs") || die "building the images failed (logs: $WORK/build-logs)"
  eval "$names"
}

# LiteLLM's DB schema: the migrations of the litellm-proxy-extras version installed in the LiteLLM
# image (the one litellm pins), only the <14 digits>_name directories.
extract_schema() {
  local ver dest
  ver=$(docker run --rm --network none --entrypoint /opt/venv/bin/python "$LITELLM_IMAGE" \
    -c 'import importlib.metadata as m; print(m.version("litellm-proxy-extras"))')
  dest=$SCHEMA_ROOT/litellm-proxy-extras-$ver
  if [ -f "$dest/.complete" ]; then
    log "schema: $dest present"
  else
    rm -rf "$dest"; mkdir -p "$dest"
    docker run --rm --network none --entrypoint sh "$LITELLM_IMAGE" -c \
      'cd "$(/opt/venv/bin/python -c "import litellm_proxy_extras, os; print(os.path.dirname(litellm_proxy_extras.__file__))")" && tar -c schema.prisma migrations' \
      | tar -C "$dest" -x
    local n
    n=$(find "$dest/migrations" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
      -regex '.*/[0-9]{8,14}_[^/]*' | wc -l)
    [ "$n" -gt 0 ] || die "no migrations found in litellm-proxy-extras $ver"
    touch "$dest/.complete"
    log "schema: litellm-proxy-extras $ver, $n migrations -> $dest"
  fi
  ln -sfn "litellm-proxy-extras-$ver" "$SCHEMA_ROOT/current"
  PROXY_EXTRAS_VERSION=$ver
  SCHEMA_DIR=$dest
}

# What the tests need to know, for test/stack/global-setup.ts.
write_manifest() {
  local tmp=$WORK/manifest.json.tmp
  cat >"$tmp" <<JSON
{
  "images": {
    "base": "$BASE_IMAGE",
    "postgres": "$POSTGRES_IMAGE",
    "node": "$NODE_IMAGE",
    "mcp": "$MCP_IMAGE",
    "litellm": "$LITELLM_IMAGE",
    "litellmDb": "$LITELLM_DB_IMAGE",
    "litellmOld": "$LITELLM_OLD_IMAGE",
    "litellmOldDb": "$LITELLM_OLD_DB_IMAGE",
    "mcpPython": "$MCP_PYTHON_IMAGE",
    "postgresMcp": "$POSTGRES_MCP_IMAGE",
    "swarmNode": "$SWARM_NODE_IMAGE"
  },
  "versions": {
    "litellm": "$LITELLM_VERSION",
    "litellmOld": "$LITELLM_OLD_VERSION",
    "litellmProxyExtras": "$PROXY_EXTRAS_VERSION",
    "serverEverything": "$EVERYTHING_VERSION",
    "serverMemory": "$MEMORY_VERSION",
    "supergateway": "$SUPERGATEWAY_VERSION",
    "prismaClientPy": "$PRISMA_PY_VERSION"
  },
  "schemaDir": "$SCHEMA_DIR",
  "clientsBin": "$WORK/clients/node_modules/.bin",
  "openwebuiVenv": "$WORK/openwebui"
}
JSON
  mv "$tmp" "$WORK/manifest.json"
}

main() {
  local t0
  t0=$(now)
  [ "$(id -u)" = 0 ] || die "run as root (installs packages, starts dockerd)"
  mkdir -p "$WORK" "$SCHEMA_ROOT"
  step "packages (docker.io, debootstrap, prometheus, chromium)" ensure_packages
  step "docker engine" ensure_engine
  step "compose v2 plugin" ensure_compose
  step "dist/ for mcpgw images build" ensure_dist
  # The clients' npm install waits on the registry, as the image builds do: it runs beside them, its output in a
  # log that is shown when it fails.
  local clients_log=$WORK/clients-install.log clients_pid webui_log=$WORK/openwebui-install.log webui_pid
  (step "mcp clients (npm)" env MCPGW_TEST_WORK="$WORK" bash "$HERE/clients/install.sh") >"$clients_log" 2>&1 &
  clients_pid=$!
  # Open WebUI's pip install (~1.9 GB) waits on PyPI the same way.
  (step "open webui (pip)" env MCPGW_TEST_WORK="$WORK" bash "$HERE/clients/openwebui.sh") >"$webui_log" 2>&1 &
  webui_pid=$!
  step "images (product builder)" build_images
  step "litellm schema" extract_schema
  if ! wait "$clients_pid"; then
    cat "$clients_log" >&2
    die "installing the MCP clients failed (log above: $clients_log)"
  fi
  tail -n 1 "$clients_log" >&2
  if ! wait "$webui_pid"; then
    cat "$webui_log" >&2
    die "installing Open WebUI failed (log above: $webui_log)"
  fi
  tail -n 1 "$webui_log" >&2
  write_manifest
  log "all done in $(elapsed "$t0") s"
}

# Sourcing the script (for checking single steps) defines the functions without running them.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
