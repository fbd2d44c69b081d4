#!/bin/sh
# tools/test.sh -- the whole test suite, from a fresh Debian 12 machine, as
# root: installs what it needs, builds, runs the C unit tests and the
# Apache::Test integration suite.  Exits non-zero on any failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "tools/test.sh: run as root" >&2; exit 1; }
"$top/tools/deps.sh"
"$top/tools/build.sh"
make -C "$top/tests/unit"
"$top/tests/run-integration.sh"
echo "tools/test.sh: all tests passed"
