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
ensure_llvm_cov
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy rustfmt

start_local_services
export CONDUIT_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
export CONDUIT_TEST_SECRETSMANAGER_ENDPOINT="http://127.0.0.1:$MOTO_PORT"

cd "$ROOT"
log "cfn-lint template.yaml"
"$TOOLS/venv/bin/cfn-lint" template.yaml
log "sam validate --lint"
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" "$TOOLS/sam-venv/bin/sam" validate --lint
log "template.yaml as SAM expands it (aliases, permissions, integrations: tests/tests/gradual_deployment.rs)"
export CONDUIT_TEST_TRANSLATED_TEMPLATE="$TOOLS/translated-template.json"
"$TOOLS/sam-venv/bin/python" "$ROOT/infra/scripts/translate_template.py" template.yaml "$CONDUIT_TEST_TRANSLATED_TEMPLATE" \
  2> >(grep -v "not available in Feature Toggle Config" >&2)
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
# Supply chain: cargo-deny (licences, bans, sources) and actionlint on the hosted CI workflow.
bash "$ROOT/infra/scripts/supply_chain.sh"
# Every AWS call a function makes, as the IAM permission it needs: the IAM contract test (last
# step) holds this log against the policies in template.yaml.
export CONDUIT_AWS_CALL_LOG_DIR="$TOOLS/aws-call-log"
rm -rf "$CONDUIT_AWS_CALL_LOG_DIR" && mkdir -p "$CONDUIT_AWS_CALL_LOG_DIR"

# Line coverage, from one instrumented build and run. From here on every cargo build is
# instrumented (cargo-llvm-cov's rustc wrapper instruments the workspace's crates, not the
# dependencies) and goes to target/llvm-cov-target, leaving target/debug alone. Every process run
# from it writes its profile there: the tests, the function binaries that the Lambda Runtime API
# test starts, the local gateways of the browser check and of the collection, the IAM contract run.
# The report at the end adds them all up. Continuous mode (`%c`, which on Linux needs counter
# relocation) keeps each profile current while its process runs, so processes that are killed
# rather than left to exit (the function binaries, the gateways) count as well.
export CARGO_TARGET_DIR="$ROOT/target/llvm-cov-target"
source <(cargo llvm-cov show-env --sh 2>/dev/null)
export LLVM_PROFILE_FILE="${LLVM_PROFILE_FILE%.profraw}%c.profraw"
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C llvm-args=-runtime-counter-relocation"
# Coverage needs no debug info (it has mappings of its own); line tables keep backtraces readable
# and make the binaries a third of the size, and quicker to link, than with full debug info.
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
cargo llvm-cov clean --profraw-only
log "cargo build, instrumented (the function binaries too: the Lambda Runtime API test starts them)"
cargo build --workspace --bins --tests --quiet --message-format=json-render-diagnostics >"$TOOLS/coverage-build.json"
# The report reads every workspace executable in the target directory: drop those this build did
# not produce (left by an earlier build with other dependencies), whose code may be out of date.
python3 - "$CARGO_TARGET_DIR/debug/deps" "$TOOLS/coverage-build.json" <<'PY'
import json, os, sys
deps, messages = sys.argv[1:]
built = set()
for line in open(messages):
    executable = json.loads(line).get("executable") if line.startswith("{") else None
    if executable:
        built.add(os.stat(executable).st_ino)  # a binary is a hard link of its copy in deps
for entry in os.scandir(deps):
    if "." not in entry.name and entry.is_file() and os.access(entry.path, os.X_OK) and entry.inode() not in built:
        os.remove(entry.path)
PY
# The previous release's local gateway, which the rollback test (tests/tests/rollback.rs) runs on
# the current release's data: built from the revision in tests/rollback/previous-release into
# target/previous-release, without the instrumentation above (the script clears it), and reused
# while that revision stays pinned.
log "the previous release's conduit-local, for the rollback test"
CONDUIT_TEST_PREVIOUS_GATEWAY="$("$ROOT/infra/scripts/previous_release.sh")"
export CONDUIT_TEST_PREVIOUS_GATEWAY
log "cargo test (instrumented)"
cargo test --workspace --quiet 2>&1 | tee "$TOOLS/test.log"

log "a real browser (headless Chromium) on another origin, through the local gateway"
BROWSER_FAILED=0
"$ROOT/tests/browser/run.sh" || BROWSER_FAILED=1

# The official RealWorld API test collection, unmodified, against the local gateway.
log "RealWorld Postman collection (newman) through the local gateway"
cargo build --quiet --package conduit-local-gateway --bin conduit-local
GATEWAY_PORT="$(free_port)"
"$CARGO_TARGET_DIR/debug/conduit-local" --port "$GATEWAY_PORT" --dynamodb-endpoint "$CONDUIT_TEST_DYNAMODB_ENDPOINT" \
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

# Line coverage of everything above. Test code is not measured: cargo-llvm-cov leaves out every
# `tests/` directory (the tests crate included) and `tests.rs`/`*_tests.rs` files, and
# COVERAGE_IGNORE leaves out the domain's in-memory fakes, a `#[cfg(test)]` module that only its
# unit tests use. Everything else of the workspace counts, `main.rs` files and `infra/` included.
COVERAGE_MIN_LINES=90
COVERAGE_IGNORE='/shared/domain/src/usecases/fakes\.rs$'
log "line coverage (cargo llvm-cov report), at least $COVERAGE_MIN_LINES% of lines"
COVERAGE_FAILED=0
cargo llvm-cov report --ignore-filename-regex "$COVERAGE_IGNORE" --json --summary-only \
  --output-path "$TOOLS/coverage.json" || COVERAGE_FAILED=1
# Line by line, to read after the run: target/llvm-cov-target/llvm-cov/html/index.html (a second).
cargo llvm-cov report --ignore-filename-regex "$COVERAGE_IGNORE" --html || COVERAGE_FAILED=1
[ "$COVERAGE_FAILED" = 1 ] || python3 - "$ROOT" "$TOOLS/coverage.json" "$COVERAGE_MIN_LINES" <<'PY' || COVERAGE_FAILED=1
import json, os, sys
root, report, minimum = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = json.load(open(report))["data"][0]
crates = {}
for file in data["files"]:
    crate = "/".join(os.path.relpath(file["filename"], root).split(os.sep)[:2])
    covered, count = crates.get(crate, (0, 0))
    crates[crate] = (covered + file["summary"]["lines"]["covered"], count + file["summary"]["lines"]["count"])
least = sorted(crates.items(), key=lambda item: item[1][0] / max(item[1][1], 1))[:5]
print("least covered: " + ", ".join(f"{crate} {covered / max(count, 1):.1%}" for crate, (covered, count) in least))
total = data["totals"]["lines"]
print(f"line coverage: {total['percent']:.2f}% ({total['covered']} of {total['count']} lines)")
if total["percent"] < minimum:
    sys.exit(f"line coverage {total['percent']:.2f}% is below the minimum of {minimum:g}%")
PY

# One closing line for the whole run, summed over every test binary (the collection, the
# browser check and the coverage minimum count as one each; the IAM contract's run counts its
# test, not the ones it ignored the first time round).
awk -v newman_failed="$NEWMAN_FAILED" -v browser_failed="$BROWSER_FAILED" -v coverage_failed="$COVERAGE_FAILED" '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
  END { if (newman_failed) f += 1; else p += 1; if (browser_failed) f += 1; else p += 1; s -= 1
        if (coverage_failed) f += 1; else p += 1
        printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$TOOLS/test.log"
[ "$NEWMAN_FAILED$BROWSER_FAILED$IAM_FAILED$COVERAGE_FAILED" = 0000 ]
