#!/usr/bin/env bash
# Set up m2m-reader on a fresh Debian/Ubuntu machine: system packages, then a virtual
# environment in .venv with the package installed in editable mode.
#
#   bash installer/setup.sh            # the reader and the built-in backends
#   bash installer/setup.sh --dev      # + test and lint tools, virtual display, JACK dummy audio
#   bash installer/setup.sh --models   # + PyTorch, transformers, open_clip (MusicGen, CLIP)
#
# Options combine. Set M2M_SKIP_APT=1 to skip the system packages (no root, or already there).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

dev=0
models=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --models) models=1 ;;
    *) echo "setup.sh: unknown option $arg (use --dev, --models)" >&2; exit 2 ;;
  esac
done

apt_packages=(
  gcc libc6-dev libportaudio2 libsndfile1 unar fluid-soundfont-gm timgm6mb-soundfont ffmpeg
  libgl1 libegl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-jpn tesseract-ocr-jpn-vert fonts-noto-cjk
)
if [ "$dev" = 1 ]; then
  apt_packages+=(
    sox xvfb libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
    libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 x11-utils imagemagick jackd2
    zip p7zip-full libjxl-tools cuetools
  )
fi

if [ "${M2M_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== virtual environment in .venv"
  "$py" -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)

extras="sound,ui,library"
[ "$dev" = 1 ] && extras="$extras,dev,batch"  # batch: its end-to-end test runs on Ray
if [ "$models" = 1 ]; then
  # torchvision (needed by open_clip) only imports beside its matching torch build.
  "${pip[@]}" "torch==2.14.1" "torchvision==0.29.1"
  extras="$extras,models"
fi
echo "== python packages ($extras)"
"${pip[@]}" -e ".[$extras]"
# tinysoundfont declares pyaudio, which does not build here and which we do not use.
"${pip[@]}" --no-deps "tinysoundfont>=0.3"
# The live mixer's audio callback is C: built here once (it needs only gcc), else the
# reader plays through the Python callback.
.venv/bin/python -m m2m_reader.engine.audio.native
echo "== ready: .venv/bin/m2m-reader"
