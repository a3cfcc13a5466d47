#!/usr/bin/env bash
# A real browser against the local gateway: headless Chromium loads tests/browser/page.html from
# an origin of its own, and the page registers, logs in, reads and updates the current user with
# `Authorization: Token ...` and JSON bodies. Every such call needs a CORS preflight, so the
# browser's own CORS enforcement decides whether the API works for a front end on another origin.
# Then it opens the docs page (docs.js): Redoc, pinned and checked by its integrity hash, renders
# under the page's Content-Security-Policy (the npm package of that version is kept in .tools/).
#
# Starts its own gateway on a free port, on $CONDUIT_TEST_DYNAMODB_ENDPOINT when set (else the
# gateway starts DynamoDB Local itself). Installs what is missing: Debian's `chromium` (apt) and
# npm's `playwright-core` (into .tools/; it drives the installed Chromium and downloads no browser).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../infra/scripts/tools.sh"

command -v chromium >/dev/null 2>&1 || apt_install chromium
ensure_node
if [ ! -f "$TOOLS/node_modules/playwright-core/package.json" ]; then
  log "installing playwright-core (npm)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
    "playwright-core@1" >/dev/null
fi

cd "$ROOT"
cargo build --quiet --package conduit-local-gateway --bin conduit-local
PORT="$(free_port)"
GATEWAY_LOG="$TOOLS/browser-gateway.log"
DYNAMODB_ARGS=()
if [ -n "${CONDUIT_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  DYNAMODB_ARGS=(--dynamodb-endpoint "$CONDUIT_TEST_DYNAMODB_ENDPOINT" --table "browser-$$")
else
  ensure_dynamodb_local
fi
# JSON log lines, so the check can see which route and function answered each preflight.
AWS_LAMBDA_LOG_FORMAT=JSON "${CARGO_TARGET_DIR:-$ROOT/target}/debug/conduit-local" --port "$PORT" "${DYNAMODB_ARGS[@]}" \
  >"$GATEWAY_LOG" 2>&1 &
GATEWAY_PID="$!"
trap 'kill "$GATEWAY_PID" 2>/dev/null || true' EXIT
wait_for_port "$PORT" "the local gateway"

log "headless Chromium, from another origin, through the local gateway"
NODE_PATH="$TOOLS/node_modules" node "$ROOT/tests/browser/check.js" "http://127.0.0.1:$PORT/api" "$GATEWAY_LOG"

log "the docs page in headless Chromium: its pinned Redoc (from npm) under its Content-Security-Policy"
NODE_PATH="$TOOLS/node_modules" node "$ROOT/tests/browser/docs.js" "http://127.0.0.1:$PORT/api/docs" "$TOOLS"
