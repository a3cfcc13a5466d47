#!/usr/bin/env bash
# Builds every Lambda function of template.yaml for Lambda's arm64 (Graviton) runtime, in one cargo
# invocation so the dependencies compile once: target/lambda/<function>/bootstrap.zip. Then checks
# that each bootstrap is an aarch64 ELF executable and prints the zip sizes.
#
#   infra/build.sh [--profile release|fast] [extra `cargo lambda build` options, e.g. --jobs 1]
#
# --profile (default release, the production build) names a profile of Cargo.toml: `fast` builds
# the dev stage's binaries in minutes. cargo-lambda and `sam build` always pass --release, so the
# profile's settings are given as CARGO_PROFILE_RELEASE_* variables, and a fast build goes to its
# own target directory (use_build_profile in scripts/tools.sh).
#
# Installs cargo-lambda, Zig and the Rust target on first use (into .tools/, see scripts/tools.sh).
# The functions are the `Binary` build properties in template.yaml, so a new function is built as
# soon as the template declares it. Uses the same cargo command line as `sam build` (see infra/README.md),
# so a `sam build` afterwards finds everything compiled.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/tools.sh"

PROFILE=release
if [ "${1:-}" = "--profile" ]; then
  PROFILE="${2:?--profile needs a profile name}"
  shift 2
fi
use_build_profile "$PROFILE"

ensure_cargo_lambda
cd "$ROOT"

mapfile -t BINARIES < <(sed -n 's/^[[:space:]]*Binary:[[:space:]]*\([A-Za-z0-9_-]*\).*$/\1/p' template.yaml)
if [ "${#BINARIES[@]}" = 0 ]; then
  echo "no BuildProperties.Binary found in template.yaml" >&2
  exit 1
fi

# The target directory (honours CARGO_TARGET_DIR and .cargo/config), and a check that every binary
# the template names is a bin target of this workspace.
TARGET_DIR="$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
metadata = json.load(sys.stdin)
bins = {t["name"] for p in metadata["packages"] for t in p["targets"] if "bin" in t["kind"]}
missing = [b for b in sys.argv[1:] if b not in bins]
if missing:
    sys.exit("template.yaml names binaries that no workspace crate defines: " + ", ".join(missing))
print(metadata["target_directory"])
' "${BINARIES[@]}")"

BIN_ARGS=()
for bin in "${BINARIES[@]}"; do BIN_ARGS+=(--bin "$bin"); done

log "cargo lambda build --release --arm64 --output-format zip (${#BINARIES[@]} functions, profile $PROFILE)"
START="$(date +%s)"
cargo lambda build --release --arm64 --output-format zip "${BIN_ARGS[@]}" "$@"
SECONDS_TAKEN=$(($(date +%s) - START))

# Every artifact: rewritten by this build, a zip holding an executable `bootstrap` (cargo-lambda
# leaves no unzipped copy), and that bootstrap an ELF executable for aarch64 (e_machine 183).
python3 - "$TARGET_DIR/lambda" "$START" "${BINARIES[@]}" <<'PY'
import os, struct, sys, zipfile

lambda_dir, start, binaries = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
EM_AARCH64, ET_EXEC, ET_DYN = 183, 2, 3


def elf_problem(header):
    if header[:4] != b"\x7fELF":
        return "not an ELF file"
    if header[4] != 2 or header[5] != 1:
        return "not a 64-bit little-endian ELF"
    e_type, e_machine = struct.unpack_from("<HH", header, 16)
    if e_machine != EM_AARCH64:
        return f"ELF e_machine is {e_machine}, not {EM_AARCH64} (aarch64)"
    if e_type not in (ET_EXEC, ET_DYN):
        return f"ELF e_type is {e_type}, not an executable"
    return None


rows, failures = [], []
for name in binaries:
    archive = os.path.join(lambda_dir, name, "bootstrap.zip")
    try:
        if os.path.getmtime(archive) < start - 1:
            raise ValueError("bootstrap.zip is older than this build")
        with zipfile.ZipFile(archive) as z:
            info = z.getinfo("bootstrap")
            with z.open(info) as f:
                problem = elf_problem(f.read(64))
        if problem:
            raise ValueError(f"bootstrap: {problem}")
        if not (info.external_attr >> 16) & 0o111:
            raise ValueError("bootstrap is not executable")
        rows.append((os.path.getsize(archive), info.file_size, name))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        failures.append(f"{name}: {error}")

rows.sort()
width = max(len("function"), *(len(n) for n in binaries))
print(f"\n{'function':<{width}}  {'zip':>10}  {'unzipped':>10}")
for zipped, unzipped, name in rows:
    print(f"{name:<{width}}  {zipped / 2**20:>6.2f} MiB  {unzipped / 2**20:>6.2f} MiB")
print(f"{len(rows)} of {len(binaries)} functions: aarch64 ELF bootstrap, zipped, in {lambda_dir}")
for failure in failures:
    print(f"FAILED {failure}", file=sys.stderr)
sys.exit(1 if failures else 0)
PY
log "built and checked ${#BINARIES[@]} functions (profile $PROFILE) in ${SECONDS_TAKEN}s"
