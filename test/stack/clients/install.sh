#!/usr/bin/env bash
# Installs the real MCP clients the client-config integration test drives (Claude Code, Gemini CLI,
# Codex CLI, mcp-remote), at the exact versions of package-lock.json here, into $WORK/clients.
# Idempotent: a second run with the same lockfile only compares a hash. Install scripts are skipped
# (gemini's optional native add-ons, node-pty and keytar, would need a compiler) except Claude Code's,
# which only links its native binary from the per-platform package npm already installed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${MCPGW_TEST_WORK:-$HERE/../.work}
DEST=$WORK/clients
stamp=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -c1-32)

if [ -f "$DEST/.installed" ] && [ "$(cat "$DEST/.installed")" = "$stamp" ]; then
  printf '[prepare] clients: up to date (%s)\n' "$stamp" >&2
  exit 0
fi
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$HERE/package.json" "$HERE/package-lock.json" "$DEST/"
(cd "$DEST" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2 &&
  node node_modules/@anthropic-ai/claude-code/install.cjs >&2)
for bin in claude gemini codex mcp-remote; do
  "$DEST/node_modules/.bin/$bin" --version >/dev/null 2>&1 || { printf '[prepare] ERROR: %s --version fails after npm ci\n' "$bin" >&2; exit 1; }
done
echo "$stamp" >"$DEST/.installed"
