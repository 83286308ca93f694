#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: radon (metrics oracle), bubblewrap
# (sandbox), Chromium (report tests). Uses apt-get when run as root (or with sudo); otherwise it
# prints what is missing, and the tests that need it report themselves skipped.
set -euo pipefail

missing=()
command -v radon >/dev/null 2>&1 || missing+=(radon)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt_get=(apt-get)
  elif command -v sudo >/dev/null 2>&1; then
    apt_get=(sudo apt-get)
  else
    echo "install-test-deps: missing ${missing[*]}; install them with apt-get as root" >&2
    exit 0
  fi
  echo "install-test-deps: installing ${missing[*]}"
  "${apt_get[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq "${missing[@]}" >/dev/null
fi
[ -d node_modules ] || npm ci
