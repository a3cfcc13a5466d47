#!/usr/bin/env bash
# Measures candidate Cargo profiles for the functions' release builds, on this machine, as the
# table in infra/README.md ("Build profiles") reports them. For each candidate, in a target
# directory of its own (target/profiles/<candidate>, emptied first):
#   1. every function of template.yaml and the bench's floor, built from empty (timed);
#   2. the same build after the domain crate changed (a line appended to a comment; timed);
#   3. the bench harness's cold starts of a few functions against the floor built the same way
#      (init p50 and its ratio to the floor's, first invocation, peak RSS, zip size). The harness
#      itself is built once, with the release profile, in the workspace's own target directory.
# Prints one line per candidate and writes them to target/profiles/profiles.json.
#
#   infra/scripts/measure_profiles.sh [candidate ...]     (default: all; see CANDIDATES)
#
# Run it on an otherwise idle machine: it takes about an hour for all candidates on 2 cores.
# These are builds for this machine's architecture; infra/build.sh --profile <name> times the
# arm64 build of a profile.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_dynamodb_local
ensure_python_tool moto_server "moto[server]>=5,<6"
cd "$ROOT"

# Each candidate as the settings that differ from Cargo.toml's release profile, given as the
# CARGO_PROFILE_RELEASE_* variables cargo reads before Cargo.toml.
declare -A CANDIDATES=(
  [release]=""
  [thin-16]="CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16"
  [fast]="$(python3 infra/scripts/profile_env.py fast | sed 's/^export //' | tr '\n' ' ')"
  [fast-o2]="CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=2"
)
ORDER=(fast fast-o2 thin-16 release)
[ "$#" = 0 ] || ORDER=("$@")

mapfile -t BINARIES < <(sed -n 's/^[[:space:]]*Binary:[[:space:]]*\([A-Za-z0-9_-]*\).*$/\1/p' template.yaml)
BIN_ARGS=()
for bin in "${BINARIES[@]}" bench-floor; do BIN_ARGS+=(--bin "$bin"); done
# Functions of each kind: a list read (the README's reference), a write behind the authorizer,
# the authorizer, and one that hashes passwords.
MEASURED="list-articles,create-article,authorizer,register-user"
DOMAIN_FILE="shared/domain/src/lib.rs"
OUT_DIR="$ROOT/target/profiles"
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/profiles.jsonl"
: >"$RESULTS"

log "the bench harness (release profile, the workspace's target directory)"
cargo build --release --quiet --package conduit-bench --bin conduit-bench
HARNESS="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/conduit-bench"
start_local_services profiles-

for candidate in "${ORDER[@]}"; do
  [ -n "${CANDIDATES[$candidate]+set}" ] || { echo "unknown candidate $candidate" >&2; exit 1; }
  target="$OUT_DIR/$candidate"
  rm -rf "$target"
  settings=(${CANDIDATES[$candidate]})
  log "$candidate: ${settings[*]:-the release profile as written}: ${#BINARIES[@]} functions and the floor from empty"
  start=$(date +%s)
  env "${settings[@]}" CARGO_TARGET_DIR="$target" cargo build --release --quiet "${BIN_ARGS[@]}"
  from_empty=$(($(date +%s) - start))

  log "$candidate: the same after a change to the domain crate"
  cp "$DOMAIN_FILE" "$OUT_DIR/domain-lib.rs.orig"
  echo "// touched by measure_profiles.sh" >>"$DOMAIN_FILE"
  start=$(date +%s)
  status=0
  env "${settings[@]}" CARGO_TARGET_DIR="$target" cargo build --release --quiet "${BIN_ARGS[@]}" || status=$?
  rebuild=$(($(date +%s) - start))
  cp "$OUT_DIR/domain-lib.rs.orig" "$DOMAIN_FILE"
  [ "$status" = 0 ] || exit "$status"

  log "$candidate: cold starts ($MEASURED, against the floor)"
  # Zipped as infra/bench.sh zips them.
  python3 infra/scripts/zip_bootstraps.py "$target/release" "$target/zip" ${MEASURED//,/ } bench-floor
  "$HARNESS" --dynamodb-endpoint "http://127.0.0.1:$DYNAMODB_PORT" --moto-endpoint "http://127.0.0.1:$MOTO_PORT" \
    --root "$ROOT" --binaries "$target/release" --zips "$target/zip" --out "$target/report.json" \
    --build-profile "$candidate" --skip-endpoints --skip-stream-work --only "$MEASURED" --cold-starts 10 \
    >"$OUT_DIR/$candidate-bench.log" 2>&1 || true
  python3 - "$candidate" "$from_empty" "$rebuild" "$target/report.json" >>"$RESULTS" <<'PY'
import json, sys
candidate, from_empty, rebuild, report_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
row = {"candidate": candidate, "build_from_empty_s": from_empty, "rebuild_after_domain_change_s": rebuild}
try:
    report = json.load(open(report_path))
    row["floor_init_ms_p50"] = report["floor"]["init_ms_p50"]
    row["functions"] = {
        f["name"]: {k: f[k] for k in ("init_ms_p50", "init_ratio", "first_ms_p50", "peak_rss_mb", "zip_mb")}
        for f in report["functions"]
    }
except (OSError, KeyError, TypeError, ValueError) as error:
    row["bench_error"] = str(error)
print(json.dumps(row))
PY
  tail -n 1 "$RESULTS"
done
python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])], indent=2))' "$RESULTS" >"$OUT_DIR/profiles.json"
log "written $OUT_DIR/profiles.json"
