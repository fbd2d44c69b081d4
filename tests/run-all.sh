#!/bin/sh
# tests/run-all.sh -- the whole test suite, from a fresh Debian 12 machine, as
# root: installs what it needs, builds, runs the C unit tests, the
# Apache::Test integration suite, the Debian package's test
# (tests/package.sh) and the in-tree build recipe (tests/intree.sh).
# Exits non-zero on any failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "tests/run-all.sh: run as root" >&2; exit 1; }
# the log tags: each used once and documented (docs/troubleshooting.md)
sh "$top/tests/check_tags.sh" "$top"
# the directives: each one registered has its section, in httpd's manual
# layout, in docs/directives.md
sh "$top/tests/check_directives.sh" "$top"
"$top/tests/deps.sh"
"$top/tests/build.sh"
# each directive tried by apache2 -t where its Context row says it goes,
# and nowhere else (it needs the module built)
sh "$top/tests/check_directives.sh" --contexts "$top"
make -C "$top/tests/unit"
# a short round of every fuzz target (make fuzz FUZZ_SECONDS=N for more)
make -C "$top/tests/unit" fuzz FUZZ_TIME="${PERUID_FUZZ_SECONDS:-10}"
"$top/tests/run-integration.sh"
# the Debian package (debian/): built, checked by lintian, installed on
# this machine's /etc/apache2 (PHP enabled), a request served as a vhost's
# user, removed and purged; what it changed is put back at its end
# (about 35 s).  It changes Debian's /etc/apache2, so it runs here, after
# the integration tests.  PERUID_SKIP_PACKAGE=1 leaves it out
if [ -z "${PERUID_SKIP_PACKAGE:-}" ]; then
    "$top/tests/package.sh"
fi
# the in-tree recipe of README (builds httpd from Debian's source package
# the first time, about 25 s plus the download; later runs rebuild only
# the MPM in the tree kept in /var/cache/peruid-intree, about 9 s);
# PERUID_SKIP_INTREE=1 leaves it out of a quick local run
if [ -z "${PERUID_SKIP_INTREE:-}" ]; then
    "$top/tests/intree.sh"
fi
echo "tests/run-all.sh: all tests passed"
