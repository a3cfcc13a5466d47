#!/usr/bin/env python3
"""Zips each named binary as Lambda gets it: one executable `bootstrap`, deflated (zlib's default
level), with a fixed timestamp so the same binary always gives the same zip.

    infra/scripts/zip_bootstraps.py <binaries dir> <out dir> <name> ...   ->  <out dir>/<name>.zip
"""

import os
import sys
import zipfile


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit("usage: zip_bootstraps.py <binaries dir> <out dir> <name> ...")
    binaries, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    for name in names:
        info = zipfile.ZipInfo("bootstrap", date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(binaries, name), "rb") as binary:
            with zipfile.ZipFile(os.path.join(out, name + ".zip"), "w") as archive:
                archive.writestr(info, binary.read())


if __name__ == "__main__":
    main()
