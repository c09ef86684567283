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
[ -n "${SKIP_SERVICE_SETUP:-}" ] && export SKIP_SETUP=1
# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-install.sh" setup-test-services $want
