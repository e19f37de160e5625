#!/usr/bin/env bash
# Prepares everything the integration tier needs on a machine without a container registry:
# the Docker engine (+ Compose v2 plugin), the product's images (Debian base, node, Postgres, LiteLLM
# and its DB mode, built by `mcpgw images build` from images/), the test-only images built on them,
# and LiteLLM's real DB schema SQL. Idempotent: a second run only checks hashes.
# Progress and per-step timings go to stderr; see test/stack/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${MCPGW_TEST_WORK:-$HERE/.work}
DOCKERD_LOG=${MCPGW_TEST_DOCKERD_LOG:-/var/log/mcpgw-test-dockerd.log}
DOCKER_PIDFILE=${MCPGW_TEST_DOCKER_PIDFILE:-/var/run/docker.pid}

# The product's images (names and versions pinned in src/images/builtin.ts, read from dist/ by
# product_images): BASE_IMAGE, NODE_IMAGE, POSTGRES_IMAGE, LITELLM_IMAGE (no DB), LITELLM_DB_IMAGE,
# LITELLM_VERSION, PRISMA_PY_VERSION. Built by `mcpgw images build`, so the tests run what users run.
MCP_IMAGE=${MCPGW_TEST_MCP_IMAGE:-mcpgw-test/mcp:latest}
# A release from before MCP auto-execution on /v1/chat/completions (1.80.10), so `mcpgw probe` is tested
# against a LiteLLM too old for it, for real. The product's recipe (images/litellm), no DB; runs only on an
# internal test network.
LITELLM_OLD_VERSION=${MCPGW_TEST_LITELLM_OLD_VERSION:-1.80.8}
LITELLM_OLD_IMAGE=${MCPGW_TEST_LITELLM_OLD_IMAGE:-mcpgw-test/litellm:$LITELLM_OLD_VERSION}
PROMETHEUS_CLIENT_VERSION=${MCPGW_TEST_PROMETHEUS_CLIENT_VERSION:-0.20.0}
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
CA_BUNDLE=${MCPGW_TEST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
HASH_LABEL=io.mcpgw.recipe-hash

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

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# dist/ is what `mcpgw images build` runs; .ci/run calls this script before `npm test` builds it.
ensure_dist() {
  if node "$ROOT/bin/mcpgw.js" images build --help >/dev/null 2>&1; then return 0; fi
  log "building dist/ (npm run build)"
  (cd "$ROOT" && npm run build --silent) >&2
}

# The product's image names and versions, from src/images/builtin.ts (through dist/).
product_images() {
  eval "$(cd "$ROOT" && node --input-type=module -e '
    const m = await import("./dist/images/builtin.js");
    const out = { BASE_IMAGE: m.BUILTIN_BASE_IMAGE, NODE_IMAGE: m.BUILTIN_NODE_IMAGE, POSTGRES_IMAGE: m.BUILTIN_POSTGRES_IMAGE,
      LITELLM_IMAGE: m.BUILTIN_LITELLM_PROXY_IMAGE, LITELLM_DB_IMAGE: m.BUILTIN_LITELLM_IMAGE,
      LITELLM_VERSION: m.BUILTIN_LITELLM_VERSION, PRISMA_PY_VERSION: m.BUILTIN_PRISMA_PY_VERSION };
    for (const [k, v] of Object.entries(out)) console.log(`${k}=${v}`);')"
  LITELLM_METRICS_IMAGE=${MCPGW_TEST_LITELLM_METRICS_IMAGE:-mcpgw-test/litellm-metrics:$LITELLM_VERSION}
}

# The product's own images, through the product's builder: a stack whose LiteLLM and Postgres are
# `build: builtin` (the builder adds the Debian base and the node image they are built on).
build_product_images() {
  local stack=$WORK/product-images
  mkdir -p "$stack"
  printf 'version: 1\nhost: localhost\nlitellm: { build: builtin }\npostgres: { build: builtin }\n' >"$stack/mcpgw.yaml"
  SSL_CERT_FILE=$CA_BUNDLE node "$ROOT/bin/mcpgw.js" -f "$stack/mcpgw.yaml" images build --log-dir "$WORK/build-logs" >/dev/null
}
image_id() { docker image inspect -f '{{.Id}}' "$1"; }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# build_image IMAGE RECIPE_DIR PARENT [EXTRA_FILE...]
# The context is the recipe directory plus EXTRA_FILEs (copied next to the Dockerfile). The image
# carries a label with a hash of the context, the build args and the parent image id, so an
# unchanged recipe is a no-op and a changed recipe (or a rebuilt parent) triggers a rebuild.
# Build args come from the BUILD_ARGS array.
build_image() {
  local image=$1 recipe=$2 parent=$3; shift 3
  local ctx hash have
  ctx=$(mktemp -d "$WORK/ctx.XXXXXX")
  cp -a "$recipe/." "$ctx/"
  local f
  for f in "$@"; do cp -a "$f" "$ctx/"; done
  hash=$( {
    (cd "$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    (cd "$ctx" && find . -type l -printf '%p -> %l\n' | LC_ALL=C sort)
    printf '%s\n' "${BUILD_ARGS[@]}" "parent=$(image_id "$parent")"
  } | sha256sum | cut -c1-32)
  have=$(image_label "$image" "$HASH_LABEL")
  if [ "$have" = "$hash" ]; then
    log "$image: up to date ($hash)"
    rm -rf "$ctx"
    return 0
  fi
  log "$image: building (recipe hash $hash${have:+, was $have})"
  local old_id=""
  image_exists "$image" && old_id=$(image_id "$image")
  local args=() a
  for a in "${BUILD_ARGS[@]}"; do args+=(--build-arg "$a"); done
  if ! docker build -q --force-rm --network "${MCPGW_TEST_BUILD_NETWORK:-bridge}" "${args[@]}" \
      --build-arg "BASE=$parent" --label "$HASH_LABEL=$hash" --label io.mcpgw.test-image=1 \
      -t "$image" "$ctx" >"$WORK/build-$(basename "$recipe").log" 2>&1; then
    tail -n 40 "$WORK/build-$(basename "$recipe").log" >&2
    rm -rf "$ctx"
    die "building $image failed (full log: $WORK/build-$(basename "$recipe").log)"
  fi
  rm -rf "$ctx"
  # Drop the image this build replaced (it would stay as <none>); fails harmlessly while in use.
  if [ -n "$old_id" ] && [ "$old_id" != "$(image_id "$image")" ]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
}

# ensure_suite_base IMAGE SUITE: a debootstrapped minbase of SUITE, imported as IMAGE; the host's apt sources
# (incl. -updates and -security) are copied in with the host's suite name replaced (bookworm -> trixie, ...).
ensure_suite_base() {
  local image=$1 suite=$2 rootfs mirror host
  if image_exists "$image"; then log "$image: present"; return 0; fi
  . /etc/os-release
  host=$VERSION_CODENAME
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /var/tmp/mcpgw-rootfs.XXXXXX)
  log "debootstrap --variant=minbase $suite from $mirror"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$WORK/debootstrap-$suite.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap-$suite.log" >&2; rm -rf "$rootfs"; die "debootstrap $suite failed"; }
  rm -f "$rootfs/etc/apt/sources.list" "$rootfs"/etc/apt/sources.list.d/*
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -E "/^Suites:/ s/\\b$host\\b/$suite/g" \
      /etc/apt/sources.list.d/debian.sources >"$rootfs/etc/apt/sources.list.d/debian.sources"
  else
    echo "deb $mirror $suite main" >"$rootfs/etc/apt/sources.list"
  fi
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' \
    -m "debootstrap minbase $suite" - "$image" >/dev/null
  rm -rf "$rootfs"
}

# Staged (not committed) input: the host's CA bundle, under the name the recipes COPY.
stage_ca() {
  mkdir -p "$WORK/stage"
  cp "$CA_BUNDLE" "$WORK/stage/ca-certificates.crt"
}

# Test-only images, on the product's: prepare.sh's own build_image (same hash rule as the product's).
build_all() {
  [ -r "$CA_BUNDLE" ] || die "CA bundle $CA_BUNDLE not readable"
  stage_ca
  BUILD_ARGS=("EVERYTHING_VERSION=$EVERYTHING_VERSION" "SUPERGATEWAY_VERSION=$SUPERGATEWAY_VERSION" "MEMORY_VERSION=$MEMORY_VERSION")
  step "image $MCP_IMAGE" build_image "$MCP_IMAGE" "$HERE/images/mcp" "$NODE_IMAGE"
  BUILD_ARGS=("LITELLM_VERSION=$LITELLM_OLD_VERSION")
  step "image $LITELLM_OLD_IMAGE" build_image "$LITELLM_OLD_IMAGE" "$ROOT/images/litellm" "$BASE_IMAGE" \
    "$WORK/stage/ca-certificates.crt"
  BUILD_ARGS=("PROMETHEUS_CLIENT_VERSION=$PROMETHEUS_CLIENT_VERSION")
  step "image $LITELLM_METRICS_IMAGE" build_image "$LITELLM_METRICS_IMAGE" "$HERE/images/litellm-metrics" "$LITELLM_DB_IMAGE"
  step "base image $BASE_TRIXIE_IMAGE" ensure_suite_base "$BASE_TRIXIE_IMAGE" trixie
  BUILD_ARGS=("NODE_IMAGE=$NODE_IMAGE" "NODE_IMAGE_ID=$(image_id "$NODE_IMAGE")" "SUPERGATEWAY_VERSION=$SUPERGATEWAY_VERSION")
  step "image $MCP_PYTHON_IMAGE" build_image "$MCP_PYTHON_IMAGE" "$HERE/images/mcp-python" "$BASE_TRIXIE_IMAGE" \
    "$WORK/stage/ca-certificates.crt"
  BUILD_ARGS=()
  step "image $POSTGRES_MCP_IMAGE" build_image "$POSTGRES_MCP_IMAGE" "$HERE/images/postgres-mcp" "$MCP_PYTHON_IMAGE"
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
    "litellmMetrics": "$LITELLM_METRICS_IMAGE",
    "mcpPython": "$MCP_PYTHON_IMAGE",
    "postgresMcp": "$POSTGRES_MCP_IMAGE"
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
  "clientsBin": "$WORK/clients/node_modules/.bin"
}
JSON
  mv "$tmp" "$WORK/manifest.json"
}

main() {
  local t0
  t0=$(now)
  [ "$(id -u)" = 0 ] || die "run as root (installs packages, starts dockerd)"
  mkdir -p "$WORK" "$SCHEMA_ROOT"
  step "packages (docker.io, debootstrap, prometheus)" ensure_packages
  step "docker engine" ensure_engine
  step "compose v2 plugin" ensure_compose
  step "dist/ for mcpgw images build" ensure_dist
  product_images
  step "product images (mcpgw images build)" build_product_images
  build_all
  step "litellm schema" extract_schema
  step "mcp clients (npm)" env MCPGW_TEST_WORK="$WORK" bash "$HERE/clients/install.sh"
  write_manifest
  log "all done in $(elapsed "$t0") s"
}

# Sourcing the script (for checking single steps) defines the functions without running them.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
