#!/usr/bin/env bash
# Puts m2m-reader in the desktop's application menu for this user, with its icon, and
# makes it the handler of comic-book archives (cbz, cbr, cb7, cbt) and, with --pdf, of
# PDFs. Everything goes under ~/.local/share (XDG_DATA_HOME); nothing needs root.
#
#   bash installer/install-desktop.sh [--exec PATH] [--pdf] [--no-default]
#   bash installer/install-desktop.sh --uninstall
#
# --exec: the m2m-reader to start (default: .venv/bin/m2m-reader of this checkout, else
# the one on PATH, e.g. a PyInstaller build's dist/m2m-reader/m2m-reader). Uses
# xdg-utils (xdg-desktop-menu, xdg-icon-resource, xdg-mime) when installed, and writes
# the same files itself when they are not.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data/applications"
icons="$data/icons/hicolor"
desktop_id="m2m-reader.desktop"
svg="$root/m2m_reader/ui/icons/m2m-reader.svg"
archive_types=(application/vnd.comicbook+zip application/x-cbz application/vnd.comicbook-rar
               application/x-cbr application/x-cb7 application/x-cbt)

exec_path=""
pdf=0
set_default=1
uninstall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --exec) exec_path="$2"; shift 2 ;;
    --pdf) pdf=1; shift ;;
    --no-default) set_default=0; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install-desktop.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1; }

refresh() {
  have update-desktop-database && update-desktop-database -q "$apps" 2>/dev/null || true
  have gtk-update-icon-cache && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
}

if [ "$uninstall" = 1 ]; then
  if have xdg-desktop-menu; then xdg-desktop-menu uninstall --mode user "$desktop_id" || true; fi
  rm -f "$apps/$desktop_id" "$icons/scalable/apps/m2m-reader.svg"
  for size in 16 32 48 64 128 256; do rm -f "$icons/${size}x${size}/apps/m2m-reader.png"; done
  list="${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list"
  if [ -f "$list" ]; then
    sed -i -e "/=$desktop_id;*\$/d" -e "s/$desktop_id;//g" "$list"
  fi
  refresh
  echo "m2m-reader is no longer in the application menu."
  exit 0
fi

if [ -z "$exec_path" ]; then
  if [ -x "$root/.venv/bin/m2m-reader" ]; then
    exec_path="$root/.venv/bin/m2m-reader"
  elif have m2m-reader; then
    exec_path="$(command -v m2m-reader)"
  else
    echo "install-desktop.sh: no m2m-reader found; run installer/setup.sh first or pass --exec PATH" >&2
    exit 1
  fi
fi
exec_path="$(cd "$(dirname "$exec_path")" && pwd)/$(basename "$exec_path")"
[ -x "$exec_path" ] || { echo "install-desktop.sh: $exec_path cannot be run" >&2; exit 1; }

# The entry, with Exec and TryExec naming this install. The path goes in double quotes
# (spaces are fine); characters the desktop entry spec would need escaped are refused.
case "$exec_path" in
  *[\"\`\$\\%\|\&]*)
    echo "install-desktop.sh: move m2m-reader to a path without \" \` \$ \\ % | & in it" >&2
    exit 1 ;;
esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed -e "s|^Exec=m2m-reader|Exec=\"$exec_path\"|" -e "s|^TryExec=m2m-reader|TryExec=$exec_path|" \
  "$here/m2m-reader.desktop" > "$tmp/$desktop_id"
if [ "$pdf" = 0 ]; then
  sed -i 's|application/pdf;||' "$tmp/$desktop_id"
fi

# Icons: the SVG, and PNGs drawn from it (for menus that do not scale SVGs).
mkdir -p "$icons/scalable/apps"
cp "$svg" "$icons/scalable/apps/m2m-reader.svg"
python="$(dirname "$exec_path")/python"
[ -x "$python" ] || python="$(command -v python3 || true)"
if [ -n "$python" ] && QT_QPA_PLATFORM=offscreen "$python" - "$svg" "$icons" <<'PY' 2>/dev/null
import sys
from pathlib import Path
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
app = QGuiApplication([])
svg, icons = QSvgRenderer(sys.argv[1]), Path(sys.argv[2])
for size in (16, 32, 48, 64, 128, 256):
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    svg.render(painter)
    painter.end()
    folder = icons / f"{size}x{size}" / "apps"
    folder.mkdir(parents=True, exist_ok=True)
    image.save(str(folder / "m2m-reader.png"))
PY
then :; else echo "(PNG icons skipped: no PySide6 to draw them; the SVG is installed)"; fi

if have xdg-desktop-menu; then
  xdg-desktop-menu install --mode user --novendor "$tmp/$desktop_id"
else
  mkdir -p "$apps"
  cp "$tmp/$desktop_id" "$apps/$desktop_id"
fi
refresh

types=("${archive_types[@]}")
[ "$pdf" = 1 ] && types+=(application/pdf)
if [ "$set_default" = 1 ]; then
  if have xdg-mime; then
    xdg-mime default "$desktop_id" "${types[@]}"
  else
    # What xdg-mime writes: the [Default Applications] group of the user's mimeapps.list.
    list="${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list"
    mkdir -p "$(dirname "$list")"
    touch "$list"
    grep -q '^\[Default Applications\]' "$list" || printf '[Default Applications]\n' >> "$list"
    for t in "${types[@]}"; do
      sed -i "\|^$t=|d" "$list"
      sed -i "/^\[Default Applications\]/a $t=$desktop_id" "$list"
    done
  fi
fi

echo "m2m-reader is in the application menu ($apps/$desktop_id), starting $exec_path"
[ "$set_default" = 1 ] && echo "and opens: ${types[*]}"
exit 0
