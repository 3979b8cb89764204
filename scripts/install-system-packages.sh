#!/usr/bin/env bash
# Installs the Debian packages PPUD needs when they are missing; quick when all are there.
set -euo pipefail

missing=()
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "PPUD needs Python 3.11 or newer as python3" >&2; exit 1; }
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
ldconfig -p | grep -q 'libmagic\.so\.1' || missing+=(libmagic1)
# Word, OpenDocument and RTF into PDF for dossiers (dossier_builder/convert.py).
command -v soffice >/dev/null || missing+=(libreoffice-writer-nogui)
# Letters beyond Latin-1 on the pages the dossier builder draws (dossier_builder/fonts.py).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# The floor the dossier benchmark measures the builder against (make bench).
command -v qpdf >/dev/null || missing+=(qpdf)
# OCR for scanned documents and images (search/extract.py), English.
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
[ -n "$(find /usr/share -path '*tessdata/eng.traineddata' -print -quit 2>/dev/null)" ] \
  || missing+=(tesseract-ocr-eng)
# The pages' styles come from npm (web/package.json): node and npm install them.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# The browser tests drive Debian's Chromium (tests/web/).
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "run as root, or install them yourself: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
