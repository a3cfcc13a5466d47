#!/usr/bin/env bash
# Measures candidate Cargo profiles for the functions' release builds, on this machine, as the
# table in infra/README.md ("Build profiles") reports them. For each candidate, in target directories
# of its own under target/profiles/ (emptied first):
#   1. every function of template.yaml and the bench's floor, built from empty (timed);
#   2. the same build after a change to the domain crate's code (a public function appended to
#      shared/domain/src/lib.rs, so every crate that depends on it is rebuilt; timed);
#   3. the bench harness's cold starts of a few functions against the floor built the same way
#      (20 of each; init p50 and its ratio to the floor's, first invocation, peak RSS, zip size). The harness
#      itself is built once, with the release profile, in the workspace's own target directory;
#   4. with --arm64: every function for Lambda's arm64, as infra/build.sh builds it (cargo-lambda
#      and Zig), from empty (timed), and the zip sizes of the measured functions. An arm64 binary
#      cannot start on this machine, so its cold starts are the x86-64 ones of step 3.
# Each candidate's row goes to target/profiles/rows/<candidate>.json; at the end every row found
# there (this run's and earlier runs') is printed as infra/README.md's table and written to
# target/profiles/profiles.json.
#
#   infra/scripts/measure_profiles.sh [--arm64] [--no-rebuild] [candidate ...]   (default: all)
#
# --no-rebuild skips step 2: with thin LTO every binary's link optimises its whole program again,
# so for release and thin-16 a rebuild costs most of what the binaries' part of step 1 costs.
#
# Run it on an otherwise idle machine. On 2 cores a candidate without LTO takes about 10 minutes,
# release about 30 and thin-16 about 45 (from empty), and --arm64 adds from minutes (fast) to most
# of an hour (release) per candidate.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"

ARM64=false
REBUILD=true
while [ "$#" -gt 0 ]; do
  case "$1" in
    --arm64) ARM64=true ;;
    --no-rebuild) REBUILD=false ;;
    *) break ;;
  esac
  shift
done

# Each candidate as the settings that differ from Cargo.toml's release profile, given as the
# CARGO_PROFILE_RELEASE_* variables cargo reads before Cargo.toml.
declare -A CANDIDATES=(
  [release]=""
  [thin-16]="CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16"
  [fast]="$(python3 "$ROOT/infra/scripts/profile_env.py" fast | sed 's/^export //' | tr '\n' ' ')"
  [no-lto-16]="CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16"
)
ORDER=(fast no-lto-16 thin-16 release)
[ "$#" = 0 ] || ORDER=("$@")
for candidate in "${ORDER[@]}"; do
  [ -n "${CANDIDATES[$candidate]+set}" ] || { echo "unknown candidate $candidate" >&2; exit 2; }
done

ensure_dynamodb_local
ensure_python_tool moto_server "moto[server]>=5,<6"
"$ARM64" && ensure_cargo_lambda
cd "$ROOT"

mapfile -t BINARIES < <(sed -n 's/^[[:space:]]*Binary:[[:space:]]*\([A-Za-z0-9_-]*\).*$/\1/p' template.yaml)
FUNCTION_ARGS=()
for bin in "${BINARIES[@]}"; do FUNCTION_ARGS+=(--bin "$bin"); done
BIN_ARGS=("${FUNCTION_ARGS[@]}" --bin bench-floor)
# Functions of each kind: a list read (infra/README.md's reference), a write behind the authorizer,
# the authorizer, and one that hashes passwords.
MEASURED="list-articles,create-article,authorizer,register-user"
DOMAIN_FILE="shared/domain/src/lib.rs"
OUT_DIR="$ROOT/target/profiles"
mkdir -p "$OUT_DIR/rows"

log "the bench harness (release profile, the workspace's target directory)"
cargo build --release --quiet --package conduit-bench --bin conduit-bench
HARNESS="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/conduit-bench"
start_local_services profiles-

# Restores the domain crate even when a build fails or the run is interrupted.
restore_domain() { [ ! -f "$OUT_DIR/domain-lib.rs.orig" ] || mv "$OUT_DIR/domain-lib.rs.orig" "$DOMAIN_FILE"; }
trap 'restore_domain; for pid in "${SERVICES[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT

for candidate in "${ORDER[@]}"; do
  target="$OUT_DIR/$candidate"
  rm -rf "$target"
  settings=(${CANDIDATES[$candidate]})
  log "$candidate: ${settings[*]:-the release profile as written}: ${#BINARIES[@]} functions and the floor from empty"
  start=$(date +%s)
  env "${settings[@]}" CARGO_TARGET_DIR="$target" cargo build --release --quiet "${BIN_ARGS[@]}"
  from_empty=$(($(date +%s) - start))

  rebuild=""
  if "$REBUILD"; then
    log "$candidate: the same after a change to the domain crate"
    # Kept with its timestamp (-p), so that restoring it does not make cargo rebuild the harness.
    cp -p "$DOMAIN_FILE" "$OUT_DIR/domain-lib.rs.orig"
    printf '\n/// Added by measure_profiles.sh.\npub fn measured_change() -> u64 {\n    %s\n}\n' "$(date +%s)" >>"$DOMAIN_FILE"
    start=$(date +%s)
    env "${settings[@]}" CARGO_TARGET_DIR="$target" cargo build --release --quiet "${BIN_ARGS[@]}"
    rebuild=$(($(date +%s) - start))
    restore_domain
  fi

  log "$candidate: cold starts ($MEASURED, against the floor)"
  # Zipped as infra/bench.sh zips them.
  python3 infra/scripts/zip_bootstraps.py "$target/release" "$target/zip" ${MEASURED//,/ } bench-floor
  "$HARNESS" --dynamodb-endpoint "http://127.0.0.1:$DYNAMODB_PORT" --moto-endpoint "http://127.0.0.1:$MOTO_PORT" \
    --root "$ROOT" --binaries "$target/release" --zips "$target/zip" --out "$target/report.json" \
    --build-profile "$candidate" --skip-endpoints --skip-stream-work --only "$MEASURED" --cold-starts 20 \
    >"$OUT_DIR/$candidate-bench.log" 2>&1 || true

  arm64_from_empty=""
  if "$ARM64"; then
    log "$candidate: ${#BINARIES[@]} functions for arm64 from empty (cargo lambda build, as infra/build.sh)"
    rm -rf "$target-arm64"
    start=$(date +%s)
    env "${settings[@]}" CARGO_TARGET_DIR="$target-arm64" \
      cargo lambda build --release --arm64 --output-format zip --quiet "${FUNCTION_ARGS[@]}"
    arm64_from_empty=$(($(date +%s) - start))
  fi
  python3 infra/scripts/profile_rows.py row "$candidate" "${settings[*]}" "$from_empty" "$rebuild" \
    "$target/report.json" "$arm64_from_empty" "$target-arm64/lambda" >"$OUT_DIR/rows/$candidate.json"
  cat "$OUT_DIR/rows/$candidate.json"
done
python3 infra/scripts/profile_rows.py table "$OUT_DIR/rows" "$OUT_DIR/profiles.json"
log "written $OUT_DIR/profiles.json"
