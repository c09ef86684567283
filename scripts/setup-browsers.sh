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
if [ -n "${SKIP_BROWSER_SETUP:-}" ]; then echo "setup-browsers: skipping ($want missing)" >&2; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browsers: $want missing and no apt-get; install it and set CHROMIUM_PATH / FIREFOX_PATH / WEBKIT_WEBDRIVER_PATH" >&2; exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "setup-browsers: $want missing; as root run: apt-get update && apt-get install -y $want" >&2; exit 0
  fi
fi
echo "setup-browsers: installing Debian $want (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $want >/dev/null
[ -x "$CHROMIUM" ] && [ -x "$WEBKIT" ] && [ -x "$XVFB" ]
