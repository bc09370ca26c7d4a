#!/bin/sh
# Install every Debian package dxgw's build, demo and tests need.
# Idempotent: packages already present are skipped, and apt-get runs only
# when something is missing. Needs root (or sudo) on Debian 12.
set -eu

PKGS="make gcc pkg-config gsoap libgsoap-dev libssl-dev openssl libxml2-dev
libxml2-utils libxslt1-dev xsltproc libsqlite3-dev sqlite3 uuid-dev curl
procps clang-format binutils libzip-dev libdeflate-dev libgmime-3.0-dev postfix"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix is a test peer only (scripts/postfix-test.sh runs private
# instances); the system instance is left unconfigured and stopped.
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
