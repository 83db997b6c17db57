#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/ibdesk/ and dist/ibdesk-<version>-linux-<arch>.tar.gz
# (README, "Desktop bundle (no Python needed)").
#
#   packaging/build.sh            # a fresh venv in build/package-venv, then PyInstaller
#
# PYTHON (default python3) makes the venv: Python 3.11 or newer built with its shared library
# (python.org, Debian/Ubuntu, pyenv's default build; PyInstaller needs libpython3.x.so).
# IBDESK_BUILD_PYTHON=/path/to/python skips the venv and uses that interpreter as it is
# (ibdesk's '[package]' extra installed), e.g. for a second build in a minute.
# The bundle runs on Linux machines of the same architecture with a glibc at least as new as
# the build machine's: build on the oldest distribution you want to support.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ -n ${IBDESK_BUILD_PYTHON:-} ]]; then
    py=$IBDESK_BUILD_PYTHON
else
    venv=build/package-venv
    echo "== fresh venv $venv"
    "${PYTHON:-python3}" -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet '.[package]'
    py=$venv/bin/python
fi

echo "== PyInstaller (packaging/ibdesk.spec)"
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/ibdesk.spec

version=$("$py" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
archive=dist/ibdesk-$version-linux-$(uname -m).tar.gz
echo "== $archive"
tar -C dist -czf "$archive" ibdesk
echo "Built dist/ibdesk/ ($(du -sh dist/ibdesk | cut -f1)) and $archive ($(du -sh "$archive" | cut -f1))"
echo "Run it: dist/ibdesk/ibdesk   (menu entry: dist/ibdesk/install-desktop-entry.sh)"
