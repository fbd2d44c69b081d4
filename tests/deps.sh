#!/bin/sh
# tests/deps.sh -- install what building and testing the peruid MPM needs
# on Debian 12 (run as root).  Used by tests/demo.sh and tests/run-all.sh.
set -eu
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/peruid-deps-updated
if [ ! -f "$stamp" ] || [ -n "${PERUID_APT_UPDATE:-}" ]; then
    apt-get update
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get install -y --no-install-recommends \
    build-essential autoconf pkg-config \
    apache2 apache2-dev apache2-utils \
    libcap-dev libseccomp-dev \
    libapache2-mod-php php-cli \
    libapache2-mod-perl2 libwww-perl \
    curl procps passwd strace
