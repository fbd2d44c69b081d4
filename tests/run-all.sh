#!/bin/sh
# tests/run-all.sh -- the whole test suite, from a fresh Debian 12 machine, as
# root: installs what it needs, builds, runs the C unit tests and the
# Apache::Test integration suite.  Exits non-zero on any failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "tests/run-all.sh: run as root" >&2; exit 1; }
"$top/tests/deps.sh"
"$top/tests/build.sh"
make -C "$top/tests/unit"
"$top/tests/run-integration.sh"
echo "tests/run-all.sh: all tests passed"
