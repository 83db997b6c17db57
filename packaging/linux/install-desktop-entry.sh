#!/usr/bin/env sh
# Install the ibdesk launcher and icon for the current user (freedesktop.org menus).
# Usage: in the unpacked desktop bundle:  ./install-desktop-entry.sh   (the menu runs that ibdesk)
#        in a source checkout:            packaging/linux/install-desktop-entry.sh
#                                         (after `pip install .` put `ibdesk` on PATH)
# Remove: rm ~/.local/share/applications/ibdesk.desktop ~/.local/share/icons/hicolor/scalable/apps/ibdesk.svg
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
if [ -x "$here/ibdesk" ] && [ -d "$here/_internal" ]; then
    exe="$here/ibdesk"                          # the bundle (packaging/ibdesk.spec)
    icon="$here/ibdesk.svg"
else
    exe=$(command -v ibdesk) || { echo "ibdesk is not on PATH: install it first (pip install .)" >&2; exit 1; }
    icon="$here/../../resources/ibdesk.svg"
fi
case $exe in
    *[\"\`\$\\\|\&]*) echo "cannot write a desktop entry for the path $exe (quote, \`, \$, \\, | or &)" >&2; exit 1 ;;
esac
mkdir -p "$data/applications" "$data/icons/hicolor/scalable/apps"
# Exec in double quotes: the path may hold spaces (Desktop Entry Specification, "The Exec key")
sed "s|^Exec=ibdesk|Exec=\"$exe\"|" "$here/ibdesk.desktop" > "$data/applications/ibdesk.desktop"
cp "$icon" "$data/icons/hicolor/scalable/apps/ibdesk.svg"
echo "Installed $data/applications/ibdesk.desktop (runs $exe)"
