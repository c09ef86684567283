#!/bin/sh
# Make sure a Chromium and a WebKit for the browser tests exist (Debian packages `chromium`, and
# `webkit2gtk-driver` + `xvfb`: WebKitGTK's WebDriver and the display its MiniBrowser needs). No-op when present.
# Firefox (firefox-esr) is optional: set SSEC_INSTALL_FIREFOX=1 to install it too.
set -eu
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
FIREFOX="${FIREFOX_PATH:-/usr/bin/firefox-esr}"
WEBKIT="${WEBKIT_WEBDRIVER_PATH:-/usr/bin/WebKitWebDriver}"
XVFB="${XVFB_PATH:-/usr/bin/Xvfb}"
want=""
[ -x "$CHROMIUM" ] || want="chromium"
{ [ -x "$WEBKIT" ] && [ -x "$XVFB" ]; } || want="$want webkit2gtk-driver xvfb"
if [ -n "${SSEC_INSTALL_FIREFOX:-}" ] && [ ! -x "$FIREFOX" ]; then want="$want firefox-esr"; fi
[ -z "$want" ] && exit 0
[ -n "${SKIP_BROWSER_SETUP:-}" ] && export SKIP_SETUP=1
# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-install.sh" setup-browsers $want
# After an install (not after a skip or a hint), the browsers must be there.
if [ -z "${SKIP_SETUP:-}" ] && command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
  [ -x "$CHROMIUM" ] && [ -x "$WEBKIT" ] && [ -x "$XVFB" ]
fi
