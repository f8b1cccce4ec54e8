#!/usr/bin/env bash
# Sets carepanel up on a fresh Debian/Ubuntu machine: system packages, then a virtualenv.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-writer-nogui)
# carepanel/office.py drives LibreOffice over UNO from the system Python.
/usr/bin/python3 -c 'import uno' >/dev/null 2>&1 || need_apt+=(python3-uno)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
# The browser tests drive Debian's Chromium through Playwright (executablePath); nothing is downloaded.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# The IMAP tests run a real Dovecot on loopback (started by the tests, not as a system service).
[ -x /usr/sbin/dovecot ] || need_apt+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Scans and photos of forms are read by OCR.
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr tesseract-ocr-eng)
# tests/deploy checks deploy/carepanel.service with systemd-analyze (verify, security).
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
# PDF.js (served by the web app) and axe-core (the accessibility tests) come from the npm registry.
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need_apt[*]} (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Browser code from npm, at the versions in package-lock.json: PDF.js's built files are copied
# into carepanel/web/static/vendor/ (gitignored) for the app to serve; axe-core stays in
# node_modules/ for the tests.  No third-party code is committed.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.carepanel-lock; then
  npm ci --no-audit --no-fund --omit=optional --loglevel=error
  cp package-lock.json node_modules/.carepanel-lock
fi
vendor=carepanel/web/static/vendor/pdfjs
mkdir -p "$vendor"
for f in build/pdf.min.mjs build/pdf.worker.min.mjs web/pdf_viewer.css LICENSE; do
  cp -u "node_modules/pdfjs-dist/$f" "$vendor/"
done

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
echo "setup: ready (.venv)"
