#!/usr/bin/env python3
"""Prints a Cargo profile of the workspace's Cargo.toml as `CARGO_PROFILE_RELEASE_*` variables.

`sam build` and cargo-lambda always build with `--release`; cargo reads the release profile's
settings from these variables before Cargo.toml, so exporting them makes a `--release` build use
another named profile's settings, defined once in Cargo.toml:

    eval "$(infra/scripts/profile_env.py fast)"   # then cargo lambda build --release ...

`release` prints nothing (the release profile is used as written).
"""

import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def settings(name: str) -> dict:
    profiles = tomllib.loads((ROOT / "Cargo.toml").read_text())["profile"]
    if name not in profiles:
        sys.exit(f"Cargo.toml has no [profile.{name}]")
    found = dict(profiles[name])
    if found.pop("inherits", "release") != "release":
        sys.exit(f"[profile.{name}] must inherit from release")
    return found


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: profile_env.py <profile>")
    name = sys.argv[1]
    if name == "release":
        return
    for key, value in settings(name).items():
        if isinstance(value, dict):
            sys.exit(f"[profile.{name}.{key}] (per-package settings) cannot be set from the environment")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        print(f"export CARGO_PROFILE_RELEASE_{key.upper().replace('-', '_')}={text}")


if __name__ == "__main__":
    main()
