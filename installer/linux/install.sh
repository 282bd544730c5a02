#!/bin/sh
# Installs GCMC Desktop for the current user from the unpacked tarball: the program under
# ~/.local/opt, a menu entry and its icon. Remove with: sh install.sh --uninstall
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
opt="$HOME/.local/opt"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/512x512/apps"
if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$opt/gcmc-desktop" "$apps/gcmc-desktop.desktop" "$icons/gcmc-desktop.png"
  echo "GCMC Desktop removed (your data in ~/.local/share/gcmc-desktop is kept)."
  exit 0
fi
mkdir -p "$opt" "$apps" "$icons"
rm -rf "$opt/gcmc-desktop"
cp -R "$here/gcmc-desktop" "$opt/gcmc-desktop"
cp "$here/gcmc-desktop.png" "$icons/gcmc-desktop.png"
sed "s|^Exec=.*|Exec=$opt/gcmc-desktop/gcmc-desktop|" "$here/gcmc-desktop.desktop" > "$apps/gcmc-desktop.desktop"
echo "GCMC Desktop installed: $opt/gcmc-desktop (menu: Office → GCMC Desktop)."
