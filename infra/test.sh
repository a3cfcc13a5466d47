#!/usr/bin/env bash
# Runs every check and test of the project: formatting, lints, unit tests, repository tests on
# DynamoDB Local, Secrets Manager tests on moto_server, and the API tests through the local
# gateway. Installs and starts what it needs, and stops it afterwards.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/tools.sh"

ensure_dynamodb_local
ensure_python_tool moto_server "moto[server]>=5,<6"
ensure_python_tool cfn-lint "cfn-lint>=1,<2"
ensure_sam
ensure_node_tool newman "newman@6"
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy rustfmt

SERVICES=()
stop_services() { for pid in "${SERVICES[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_services EXIT

DYNAMODB_PORT="$(free_port)"
java -Djava.library.path="$DYNAMODB_LOCAL_DIR/DynamoDBLocal_lib" -jar "$DYNAMODB_LOCAL_DIR/DynamoDBLocal.jar" \
  -inMemory -sharedDb -port "$DYNAMODB_PORT" >"$TOOLS/dynamodb-local.log" 2>&1 &
SERVICES+=("$!")
SECRETS_PORT="$(free_port)"
"$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$SECRETS_PORT" >"$TOOLS/moto.log" 2>&1 &
SERVICES+=("$!")
wait_for_port "$DYNAMODB_PORT" "DynamoDB Local"
wait_for_port "$SECRETS_PORT" "moto_server"
export CONDUIT_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
export CONDUIT_TEST_SECRETSMANAGER_ENDPOINT="http://127.0.0.1:$SECRETS_PORT"

cd "$ROOT"
log "cfn-lint template.yaml"
"$TOOLS/venv/bin/cfn-lint" template.yaml
log "sam validate --lint"
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" "$TOOLS/sam-venv/bin/sam" validate --lint
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
log "cargo test"
cargo test --workspace --quiet 2>&1 | tee "$TOOLS/test.log"

# The official RealWorld API test collection, unmodified, against the local gateway.
log "RealWorld Postman collection (newman) through the local gateway"
cargo build --quiet --package conduit-local-gateway --bin conduit-local
GATEWAY_PORT="$(free_port)"
"$ROOT/target/debug/conduit-local" --port "$GATEWAY_PORT" --dynamodb-endpoint "$CONDUIT_TEST_DYNAMODB_ENDPOINT" \
  --table "realworld-$$" >"$TOOLS/gateway.log" 2>&1 &
SERVICES+=("$!")
wait_for_port "$GATEWAY_PORT" "the local gateway"
RUN_ID="$(date +%s)$$"
NEWMAN_FAILED=0
"$TOOLS/node_modules/.bin/newman" run "$ROOT/tests/realworld/Conduit.postman_collection.json" \
  --global-var "APIURL=http://127.0.0.1:$GATEWAY_PORT/api" --global-var "USERNAME=u$RUN_ID" \
  --global-var "EMAIL=u$RUN_ID@example.com" --global-var "PASSWORD=password-$RUN_ID" \
  --reporters cli --reporter-cli-no-console --disable-unicode >"$TOOLS/newman.log" 2>&1 || NEWMAN_FAILED=1
grep -E "requests|assertions|AssertionError" "$TOOLS/newman.log" || true
[ "$NEWMAN_FAILED" = 0 ] || { cat "$TOOLS/newman.log"; echo "the RealWorld collection failed" >&2; }

# One closing line for the whole run, summed over every test binary (the collection counts as one).
awk -v newman_failed="$NEWMAN_FAILED" '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
  END { if (newman_failed) f += 1; else p += 1; printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$TOOLS/test.log"
exit "$NEWMAN_FAILED"
