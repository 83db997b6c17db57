#!/usr/bin/env sh
# Install the ibdesk launcher and icon for the current user (freedesktop.org menus).
# Usage: packaging/linux/install-desktop-entry.sh   (after `pip install .` put `ibdesk` on PATH)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
command -v ibdesk >/dev/null 2>&1 || { echo "ibdesk is not on PATH: install it first (pip install .)" >&2; exit 1; }
mkdir -p "$data/applications" "$data/icons/hicolor/scalable/apps"
sed "s|^Exec=ibdesk|Exec=$(command -v ibdesk)|" "$here/ibdesk.desktop" > "$data/applications/ibdesk.desktop"
cp "$here/../../resources/ibdesk.svg" "$data/icons/hicolor/scalable/apps/ibdesk.svg"
echo "Installed $data/applications/ibdesk.desktop"
