#!/usr/bin/env bash
# Installs the real Open WebUI the openwebui integration test drives, slim and offline-capable, into
# $WORK/openwebui: a Python 3.11 venv with Open WebUI's own dependency list minus the ones that pull CUDA torch
# (torch, sentence-transformers, accelerate; Open WebUI runs without them under USE_SLIM_DOCKER=true), every
# version pinned by openwebui-requirements.txt here (selenium included, which drives Debian's chromium and
# chromium-driver for the browser check), then open-webui itself with --no-deps. ~1.6 GB. --no-compile: pip's
# byte-compiling of every module took 190 of 301 s here; Python compiles what Open WebUI imports on its first start
# instead (26 s to /health then, 14-19 s after). Idempotent: a second run with the same pins only compares a hash.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${MCPGW_TEST_WORK:-$HERE/../.work}
DEST=$WORK/openwebui
OPENWEBUI_VERSION=0.12.4
PYTHON=${MCPGW_TEST_PYTHON311:-/usr/bin/python3.11}
PIP_FLAGS=(-q --disable-pip-version-check --no-compile)
stamp=$( (echo "$OPENWEBUI_VERSION ${PIP_FLAGS[*]}"; cat "$HERE/openwebui-requirements.txt") | sha256sum | cut -c1-32)

if [ -f "$DEST/.installed" ] && [ "$(cat "$DEST/.installed")" = "$stamp" ]; then
  printf '[prepare] openwebui: up to date (%s)\n' "$stamp" >&2
  exit 0
fi
rm -rf "$DEST"
"$PYTHON" -m venv "$DEST"
"$DEST/bin/pip" install "${PIP_FLAGS[@]}" -r "$HERE/openwebui-requirements.txt" >&2
"$DEST/bin/pip" install "${PIP_FLAGS[@]}" --no-deps "open-webui==$OPENWEBUI_VERSION" >&2
"$DEST/bin/python" -c 'import importlib.metadata as m, selenium; print("[prepare] openwebui:", m.version("open-webui"), "selenium", selenium.__version__)' >&2
"$DEST/bin/open-webui" --help >/dev/null || { printf '[prepare] ERROR: open-webui --help fails after install\n' >&2; exit 1; }
printf '[prepare] openwebui: %s\n' "$(du -sh "$DEST" | cut -f1)" >&2
echo "$stamp" >"$DEST/.installed"
