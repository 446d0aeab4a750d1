#!/usr/bin/env bash
# Set up a fresh machine: Debian packages (Japanese and Latin fonts, poppler), a virtualenv, pinned Python deps.
#   bash scripts/setup.sh        runtime only
#   bash scripts/setup.sh dev    runtime + tests, type checks and benchmarks
# Each step says what it does on stdout ("setup: …"), so a first run is never minutes of silence.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
step() { printf 'setup: [%3ds] %s\n' "$((SECONDS - started))" "$*"; }

apt_packages=(fonts-ipaexfont-gothic fonts-migmix fonts-noto-core fonts-dejavu-core poppler-utils)
# The tests start real Redis and PostgreSQL servers for the scale-out delivery (tests/services.py).
[ "${1:-}" = "dev" ] && apt_packages+=(redis-server postgresql)
step "checking Debian packages: ${apt_packages[*]}"
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  step "apt-get update"
  $sudo_cmd apt-get update -qq
  step "installing ${missing[*]} (apt-get; about a minute)"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  step "creating the virtualenv .venv ($python)"
  "$python" -m venv .venv
fi
req=requirements.txt
[ "${1:-}" = "dev" ] && req=requirements-dev.txt
step "installing the pinned Python packages of $req into .venv (pip; a few minutes the first time)"
# pip's own lines, one per package it fetches: progress without its full chatter.
.venv/bin/python -m pip install --disable-pip-version-check -r "$req" \
  | sed -un -e 's/^Collecting \([^ ]*\).*/setup:         fetching \1/p' -e 's/^Successfully installed /setup:         installed: /p'

# What a cold start would otherwise redo on every run (or on the first one): the package's bytecode,
# and briefgen's start-up caches in var/cache/ — compiled templates, the parsed fonts, pint's
# unit definitions (see briefgen/base/caches.py) — and the compiled regular expressions and
# dataclass methods of the command line's imports (briefgen/base/codecache.py).
step "compiling the package's bytecode"
.venv/bin/python -m compileall -q briefgen >/dev/null
step "making the start-up caches in var/cache/ (templates, fonts, unit definitions and the units of the briefs in data/) and briefgen/__pycache__/ (compiled patterns and dataclass methods)"
.venv/bin/python run.py cache >/dev/null
step "done"
