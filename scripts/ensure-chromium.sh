#!/usr/bin/env bash
# Make sure Debian's chromium is installed: the browser tests (tests/e2e) drive it headless through
# Playwright's Python package, pointed at /usr/bin/chromium (Playwright's own browser download is not used).
# Fails loudly: a browser test without a browser is a failed test run, never a skipped one.
set -euo pipefail
BROWSER=/usr/bin/chromium

if [ -x "$BROWSER" ]; then exit 0; fi
if command -v apt-get >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "chromium not found at $BROWSER; installing Debian's package" >&2
  $SUDO apt-get install -y --no-install-recommends chromium \
    || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends chromium; }
fi
if [ -x "$BROWSER" ]; then exit 0; fi
echo "ERROR: $BROWSER is missing and could not be installed (apt-get install chromium); tests/e2e cannot run" >&2
exit 1
