#!/usr/bin/env bash
# Builds the local gateway (conduit-local) of the previous release pinned in
# tests/rollback/previous-release, for the rollback test (tests/tests/rollback.rs), and prints the
# path of the binary on stdout (progress goes to stderr):
#
#   export CONDUIT_TEST_PREVIOUS_GATEWAY="$(infra/scripts/previous_release.sh)"
#
# The revision is exported with `git archive` into target/previous-release/source (no worktree;
# nothing of this checkout changes) and built there into a target directory of its own,
# target/previous-release/target, without any of the caller's build settings: the test command's
# coverage instrumentation (cargo-llvm-cov's wrapper, RUSTFLAGS, LLVM_PROFILE_FILE,
# CARGO_TARGET_DIR, the CARGO_PROFILE_* overrides) is for the current code only. The binary is
# kept as target/previous-release/bin/conduit-local-<commit> and reused while the pin names that
# commit; a new pin rebuilds the workspace's crates and reuses the compiled dependencies.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PIN="$ROOT/tests/rollback/previous-release"
DIR="$ROOT/target/previous-release"

fail() { printf 'previous_release.sh: %s\n' "$*" >&2; exit 1; }

revision="$(grep -v '^[[:space:]]*\(#\|$\)' "$PIN" | tr -d '[:space:]')"
[[ "$revision" =~ ^[0-9a-f]{40}$ ]] || fail "$PIN must hold one full commit id (40 hex digits), not '$revision'"

if ! git -C "$ROOT" cat-file -e "$revision^{commit}" 2>/dev/null; then
  if [ "$(git -C "$ROOT" rev-parse --is-shallow-repository)" = true ]; then
    fail "the previous release $revision is not in this shallow clone: run 'git fetch --unshallow' (in CI, check out with fetch-depth: 0)"
  fi
  fail "the previous release $revision is not in this clone: run 'git fetch origin $revision' (or 'git fetch --all')"
fi

binary="$DIR/bin/conduit-local-$revision"
if [ -x "$binary" ]; then
  printf 'previous release %s: reusing %s\n' "${revision:0:7}" "$binary" >&2
  echo "$binary"
  exit 0
fi

printf 'previous release %s: exporting it and building its conduit-local\n' "${revision:0:7}" >&2
rm -rf "$DIR/source"
mkdir -p "$DIR/source" "$DIR/bin"
# -m: the files get the time of the export, not of the commit, so that Cargo, which compares
# times, rebuilds every crate of a newly pinned revision in the reused target directory.
git -C "$ROOT" archive --format=tar "$revision" | tar -x -m -C "$DIR/source"
(
  # The build as that revision's own Cargo.toml and Cargo.lock make it, whatever the caller set.
  for name in $(compgen -e); do
    case "$name" in
      CARGO_HOME | CARGO_NET_* | CARGO_HTTP_* | CARGO_REGISTRIES_* | CARGO_REGISTRY_*) ;;
      CARGO_* | __CARGO_* | RUSTFLAGS | RUSTDOCFLAGS | RUSTC_WRAPPER | RUSTC_WORKSPACE_WRAPPER | LLVM_PROFILE_FILE)
        unset "$name" ;;
    esac
  done
  cd "$DIR/source"
  cargo build --locked --quiet --package conduit-local-gateway --bin conduit-local --target-dir "$DIR/target"
)
rm -f "$DIR"/bin/conduit-local-*
cp "$DIR/target/debug/conduit-local" "$binary.partial"
mv "$binary.partial" "$binary"
echo "$binary"
