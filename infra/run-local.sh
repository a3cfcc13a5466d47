#!/usr/bin/env bash
# Runs the whole Conduit API on this machine at http://127.0.0.1:3000/api, backed by DynamoDB
# Local. Installs what is missing first (Java, DynamoDB Local). Ctrl-C stops everything.
# Options are passed on to conduit-local: --port N, --dynamodb-endpoint URL, --table NAME,
# --response-limit-bytes N, --function-timeout-seconds N (docs/aws-limits.md), --recent-traces N,
# --spans-per-trace N (infra/README.md, "Traces locally"). So is the environment: the abuse limits'
# variables (docs/abuse-protection.md), the read limits' (docs/bounded-reads.md), the time budgets,
# and OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 to send the traces to a collector too.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/tools.sh"

ensure_dynamodb_local
cd "$ROOT"
log "building the local gateway"
cargo build --quiet --package conduit-local-gateway --bin conduit-local
exec "$ROOT/target/debug/conduit-local" "$@"
