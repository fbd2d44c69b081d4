#!/bin/sh
# tests/deps.sh -- install what building and testing the peruid MPM needs
# on Debian 12 (run as root).  Used by tests/demo.sh and tests/run-all.sh.
# apache2-suexec-pristine and libapache2-mod-fcgid are there for
# t/debian_layout.t (suEXEC and mod_fcgid under the MPM); note that
# libapache2-mod-fcgid's postinst enables fcgid in /etc/apache2 itself.
# iproute2: "ip netns" for the tests that run in a network namespace.
# nginx-light: t/handover.t's front proxy (its own config, on loopback).
# haproxy: t/proxy_protocol.t's front proxy (PROXY protocol v1 and v2).
set -eu
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/peruid-deps-updated
if [ ! -f "$stamp" ] || [ -n "${PERUID_APT_UPDATE:-}" ]; then
    apt-get update
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get install -y --no-install-recommends \
    build-essential autoconf pkg-config clang \
    apache2 apache2-dev apache2-utils \
    libcap-dev libseccomp-dev libssl-dev openssl \
    libapache2-mod-php php-cli \
    libapache2-mod-perl2 libwww-perl libio-socket-ssl-perl \
    apache2-suexec-pristine libapache2-mod-fcgid \
    curl procps passwd strace iproute2 nginx-light haproxy
# tests/package.sh: building the Debian package and checking it
apt-get install -y --no-install-recommends \
    dpkg-dev debhelper fakeroot lintian
