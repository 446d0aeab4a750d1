#!/usr/bin/env bash
# Set up a fresh machine: Debian packages (Japanese font, poppler), a virtualenv, pinned Python deps.
#   bash scripts/setup.sh        runtime only
#   bash scripts/setup.sh dev    runtime + tests, type checks and benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(fonts-ipaexfont-gothic fonts-noto-core fonts-dejavu-core poppler-utils)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
req=requirements.txt
[ "${1:-}" = "dev" ] && req=requirements-dev.txt
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"

# What a cold start would otherwise redo on every run (or on the first one): the package's bytecode,
# and briefgen's start-up caches in var/cache/ — compiled templates, the parsed Japanese font, pint's
# unit definitions (see briefgen/caches.py).
.venv/bin/python -m compileall -q briefgen >/dev/null
.venv/bin/python run.py cache >/dev/null
