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
# Every AWS call a function makes, as the IAM permission it needs: the IAM contract test (last
# step) holds this log against the policies in template.yaml.
export CONDUIT_AWS_CALL_LOG_DIR="$TOOLS/aws-call-log"
rm -rf "$CONDUIT_AWS_CALL_LOG_DIR" && mkdir -p "$CONDUIT_AWS_CALL_LOG_DIR"
log "cargo build (every function binary: the Lambda Runtime API test starts them)"
cargo build --workspace --bins --quiet
log "cargo test"
cargo test --workspace --quiet 2>&1 | tee "$TOOLS/test.log"

log "a real browser (headless Chromium) on another origin, through the local gateway"
BROWSER_FAILED=0
"$ROOT/tests/browser/run.sh" || BROWSER_FAILED=1

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

# Last, once every test and the collection have logged their AWS calls.
log "IAM contract: every AWS call made above against the policies in template.yaml"
IAM_FAILED=0
cargo test --quiet --package conduit-api-tests --test iam_contract -- --ignored 2>&1 | tee -a "$TOOLS/test.log" || IAM_FAILED=1

# One closing line for the whole run, summed over every test binary (the collection and the
# browser check count as one each; the IAM contract's run counts its test, not the ones it
# ignored the first time round).
awk -v newman_failed="$NEWMAN_FAILED" -v browser_failed="$BROWSER_FAILED" '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
  END { if (newman_failed) f += 1; else p += 1; if (browser_failed) f += 1; else p += 1; s -= 1
        printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$TOOLS/test.log"
[ "$NEWMAN_FAILED$BROWSER_FAILED$IAM_FAILED" = 000 ]
