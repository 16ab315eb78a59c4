#!/bin/sh
# One-time set-up on Debian 12 (as root, or with sudo): the browsers, the Pushgateway and promtool from Debian's
# packages when missing, then the npm packages. Safe to run again: it installs only what is missing.
set -eu
cd "$(dirname "$0")/.."

missing=""
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing="$missing chromium"
[ -x "${FIREFOX_PATH:-/usr/bin/firefox-esr}" ] || missing="$missing firefox-esr"
[ -x "${PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}" ] || missing="$missing prometheus-pushgateway"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
[ -x "${VICTORIA_METRICS_BIN:-/usr/bin/victoria-metrics}" ] || missing="$missing victoria-metrics"
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
fi
