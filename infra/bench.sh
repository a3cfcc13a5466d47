#!/usr/bin/env bash
# Measures, on this machine: every function's cold start (init, first and warm invocations, peak
# memory) against a floor function built and run alongside, every endpoint's latency, DynamoDB
# capacity and sequential round trips through the local gateway on seeded data, the invocations a
# full-size purge and feed clearing take, the zipped size of every binary, and what a million
# requests of every endpoint cost (--prices: a price table, infra/bench/prices/us-east-1.json by
# default). Prints one table and writes it as JSON to target/bench/report.json. Exits
# non-zero when something could not be measured, or (status 3) when a function's init p50 is more
# than 1.5 times the floor's or the feed of a reader following 200 accounts takes more than twice
# as long as the feed of a reader following one.
#
#   infra/bench.sh [--profile release|fast]
#                  [conduit-bench options: --cold-starts N (15), --warm N (5), --requests N (50),
#                   --warmup N (5), --big-feed-requests N (20), --only f1,f2, --skip-cold-starts,
#                   --skip-endpoints, --purge-favorites N (20000), --purge-comments N (5000),
#                   --cleared-feed-entries N (10000), --skip-stream-work, --prices FILE,
#                   --network-delay-ms N (4; 0 measures without the network model)]
#
# The stream work (a deleted article's purge and an ended follow's clearing, seeded straight into
# the table, run by the consumers' handlers) reports how many invocations each took and how long;
# STREAM_CHUNK_ITEMS and STREAM_CHUNK_SECONDS set the chunks, as for the local gateway.
#
# --profile (default release) is the Cargo profile built and measured: release is what production
# deploys; fast (minutes to build) is for quick runs. The report names it.
#
# Not part of infra/test.sh: it takes several minutes, more on a first run (the release build).
# Installs and starts what it needs (DynamoDB Local, moto_server; see scripts/tools.sh) on free
# ports, and stops them when it exits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/tools.sh"

ensure_dynamodb_local
ensure_python_tool moto_server "moto[server]>=5,<6"
cd "$ROOT"
STARTED="$(date +%s)"
PROFILE=release
if [ "${1:-}" = "--profile" ]; then
  PROFILE="${2:?--profile needs a profile name}"
  shift 2
fi

mapfile -t BINARIES < <(sed -n 's/^[[:space:]]*Binary:[[:space:]]*\([A-Za-z0-9_-]*\).*$/\1/p' template.yaml)
if [ "${#BINARIES[@]}" = 0 ]; then
  echo "no BuildProperties.Binary found in template.yaml" >&2
  exit 1
fi
TARGET_DIR="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
# Cargo puts a profile's binaries under its name, except dev's (target/debug).
RELEASE="$TARGET_DIR/$PROFILE"
BENCH_DIR="$TARGET_DIR/bench"

# Two builds, on purpose. The functions (and the floor, which links nothing they do not) are built
# on their own, as infra/build.sh and `sam build` build them: built in one cargo invocation with the
# harness, they would get the features the harness's dependencies turn on (tokio's process and
# signal drivers, hyper's server) and no longer be the binaries that are deployed.
BIN_ARGS=()
for bin in "${BINARIES[@]}" bench-floor; do BIN_ARGS+=(--bin "$bin"); done
log "cargo build --profile $PROFILE: ${#BINARIES[@]} functions and the floor"
cargo build --profile "$PROFILE" "${BIN_ARGS[@]}"
log "cargo build --profile $PROFILE: the harness (conduit-bench, with the local gateway)"
cargo build --profile "$PROFILE" --package conduit-bench --bin conduit-bench
BUILT="$(date +%s)"

# Each binary zipped as Lambda gets it: one executable `bootstrap`, deflated (zlib's default level).
# These are builds for this machine's architecture; infra/build.sh makes the arm64 ones deployed.
rm -rf "$BENCH_DIR/zip" && mkdir -p "$BENCH_DIR/zip"
python3 infra/scripts/zip_bootstraps.py "$RELEASE" "$BENCH_DIR/zip" "${BINARIES[@]}" bench-floor

start_local_services bench-

# Progress goes to standard error. Standard output gets the metric lines that the functions print
# while they serve in the harness's process, and goes to a log; the table is printed from the file
# the harness writes beside the JSON.
log "conduit-bench: cold starts, then endpoints"
rm -f "$BENCH_DIR/report.json" "$BENCH_DIR/report.txt"
STATUS=0
"$RELEASE/conduit-bench" --dynamodb-endpoint "http://127.0.0.1:$DYNAMODB_PORT" \
  --moto-endpoint "http://127.0.0.1:$MOTO_PORT" --root "$ROOT" --binaries "$RELEASE" \
  --zips "$BENCH_DIR/zip" --out "$BENCH_DIR/report.json" --build-profile "$PROFILE" "$@" >"$BENCH_DIR/harness-stdout.log" || STATUS=$?
[ ! -f "$BENCH_DIR/report.txt" ] || cat "$BENCH_DIR/report.txt"
log "infra/bench.sh: $(($(date +%s) - STARTED)) s in all, $((BUILT - STARTED)) s of it building"
exit "$STATUS"
