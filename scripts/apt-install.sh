#!/bin/sh
# Installs Debian packages for the repository's own set-up: `sh scripts/apt-install.sh <who> <pkg>...`.
# As root, or through `sudo -n`; otherwise (or without apt-get, or with SKIP_SETUP set) it only
# says what to install and exits 0, so a developer's machine is never changed behind their back.
set -eu
who="$1"; shift
[ "$#" -eq 0 ] && exit 0
if [ -n "${SKIP_SETUP:-}" ]; then echo "$who: skipping ($* missing)" >&2; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then echo "$who: $* missing and no apt-get; install them yourself" >&2; exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "$who: $* missing; as root run: apt-get update && apt-get install -y --no-install-recommends $*" >&2; exit 0
  fi
fi
echo "$who: installing Debian $* (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
