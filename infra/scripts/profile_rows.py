#!/usr/bin/env python3
"""The rows of infra/scripts/measure_profiles.sh, and the table infra/README.md shows of them.

    profile_rows.py row <candidate> <settings> <from_empty_s> <rebuild_s> <report.json> <arm64_s> <arm64_lambda_dir>
    profile_rows.py table <rows_dir> <profiles.json>
"""

import json
import pathlib
import sys

# The functions measured for cold starts, in the table's order; list-articles is infra/README.md's
# reference for the other columns.
MEASURED = ["list-articles", "create-article", "authorizer", "register-user"]
REFERENCE = "list-articles"
ORDER = ["release", "thin-16", "no-lto-16", "fast"]


def row(candidate, settings, from_empty, rebuild, report_path, arm64, arm64_dir):
    found = {
        "candidate": candidate,
        "settings": settings or "the release profile as written",
        "build_from_empty_s": int(from_empty),
        "rebuild_after_domain_change_s": int(rebuild) if rebuild else None,
        "arm64_build_from_empty_s": int(arm64) if arm64 else None,
    }
    try:
        report = json.loads(pathlib.Path(report_path).read_text())
        found["floor_init_ms_p50"] = report["floor"]["init_ms_p50"]
        found["functions"] = {
            f["name"]: {k: f[k] for k in ("init_ms_p50", "init_ratio", "first_ms_p50", "peak_rss_mb", "zip_mb")}
            for f in report["functions"]
        }
    except (OSError, KeyError, TypeError, ValueError) as error:
        found["bench_error"] = str(error)
    if arm64:
        found["arm64_zip_mb"] = {
            name: round((pathlib.Path(arm64_dir) / name / "bootstrap.zip").stat().st_size / 2**20, 2)
            for name in MEASURED
            if (pathlib.Path(arm64_dir) / name / "bootstrap.zip").exists()
        }
    return found


def compact(settings):
    """`CARGO_PROFILE_RELEASE_LTO=off ...` as `lto=off ...`."""
    return " ".join(
        part.removeprefix("CARGO_PROFILE_RELEASE_").lower().replace("_", "-") if "=" in part else part
        for part in settings.split()
    )


def minutes(seconds):
    if seconds is None:
        return ""
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def table(rows_dir, out_path):
    rows = [json.loads(p.read_text()) for p in pathlib.Path(rows_dir).glob("*.json")]
    rows.sort(key=lambda r: (ORDER.index(r["candidate"]) if r["candidate"] in ORDER else len(ORDER), r["candidate"]))
    pathlib.Path(out_path).write_text(json.dumps(rows, indent=2) + "\n")
    print(
        "| profile | settings beside release's | x86-64 from empty | after a domain change | arm64 from empty "
        "| init / floor: " + ", ".join(MEASURED) + f" | {REFERENCE}: first invocation | peak RSS | zip x86-64 / arm64 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        functions = r.get("functions", {})
        reference = functions.get(REFERENCE, {})
        arm64_zip = r.get("arm64_zip_mb", {}).get(REFERENCE)
        arm64 = "-" if arm64_zip is None else arm64_zip
        if functions:
            ratios = " / ".join(str(functions.get(name, {}).get("init_ratio", "-")) for name in MEASURED)
            starts = f"{ratios} (floor {r.get('floor_init_ms_p50', '-')} ms) | {reference.get('first_ms_p50', '-')} ms "
            starts += f"| {reference.get('peak_rss_mb', '-')} MB | {reference.get('zip_mb', '-')} / {arm64} MiB"
        else:
            starts = "not measured | - | - | -"
        print(
            f"| `{r['candidate']}` | {compact(r['settings'])} | {minutes(r['build_from_empty_s'])} "
            f"| {minutes(r['rebuild_after_domain_change_s']) or '-'} | {minutes(r.get('arm64_build_from_empty_s')) or '-'} "
            f"| {starts} |"
        )


def main():
    if len(sys.argv) == 9 and sys.argv[1] == "row":
        print(json.dumps(row(*sys.argv[2:])))
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
