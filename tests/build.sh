#!/bin/sh
# tests/build.sh -- configure and build the module in this checkout.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || autoconf
[ -f Makefile ] && [ Makefile -nt Makefile.in ] && [ Makefile -nt configure ] \
    || ./configure --with-apxs="$(command -v apxs || command -v apxs2)"
make
