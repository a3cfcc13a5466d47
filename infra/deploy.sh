#!/usr/bin/env bash
# Builds and deploys one stage of samconfig.toml with the Cargo profile that stage is built with:
#
#   infra/deploy.sh [dev|prod] [extra `sam deploy` options]      (default dev)
#
# dev is built with the fast profile (minutes from an empty target/), prod with release, the
# production profile (infra/README.md, "Building, deploying, invoking"). It runs infra/build.sh with that
# profile (every function at once), then `sam build` and `sam deploy` with the stage's settings;
# `sam build` finds everything compiled, since it sees the same profile settings and target
# directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/tools.sh"

STAGE="${1:-dev}"
[ "$#" = 0 ] || shift
case "$STAGE" in
  dev) PROFILE=fast ;;
  prod) PROFILE=release ;;
  *) echo "unknown stage $STAGE: samconfig.toml has dev and prod" >&2; exit 2 ;;
esac

"$ROOT/infra/build.sh" --profile "$PROFILE"
use_build_profile "$PROFILE"
ensure_cargo_lambda
ensure_sam
cd "$ROOT"
log "sam build --config-env $STAGE (profile $PROFILE)"
"$TOOLS/sam-venv/bin/sam" build --config-env "$STAGE"
log "sam deploy --config-env $STAGE"
"$TOOLS/sam-venv/bin/sam" deploy --config-env "$STAGE" "$@"
