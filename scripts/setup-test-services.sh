#!/bin/sh
# Make sure the services the test suite starts privately exist (Debian packages): redis-server and
# rabbitmq-server (reference/server/test-brokers.ts) and nginx-light (the deployment lab). The
# tests start their own instances on random loopback ports; no system service is started here.
# No-op when present; a missing one makes its tests fail, never skip.
set -eu
want=""
command -v redis-server >/dev/null 2>&1 || want="redis-server"
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || want="$want rabbitmq-server"
[ -x /usr/sbin/nginx ] || want="$want nginx-light"
[ -z "$want" ] && exit 0
if [ -n "${SKIP_SERVICE_SETUP:-}" ]; then echo "setup-test-services: skipping ($want missing)" >&2; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-test-services: $want missing and no apt-get; install them for the tests that need them" >&2; exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "setup-test-services: $want missing; as root run: apt-get update && apt-get install -y --no-install-recommends $want" >&2; exit 0
  fi
fi
echo "setup-test-services: installing Debian $want (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $want >/dev/null
