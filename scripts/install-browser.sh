#!/usr/bin/env bash
# The browser the browser tests drive (test/browser.test.ts, through playwright-core): Debian's own
# `chromium` package. playwright-core never downloads a browser build; it launches /usr/bin/chromium.
# Idempotent: does nothing when the browser is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser: /usr/bin/chromium is missing; run this script as root (apt-get install chromium)" >&2
  exit 1
fi

echo "install-browser: installing Debian's chromium (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fonts-liberation: metric-compatible sans/mono so pages and screenshots render the same everywhere
apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
