#!/bin/sh
# tests/intree.sh HTTPD_SRC -- copy the peruid MPM into an httpd 2.4 source
# tree as server/mpm/peruid/, for the in-tree build:
#   tests/intree.sh ../httpd-2.4.x
#   cd ../httpd-2.4.x && ./buildconf && ./configure --with-mpm=peruid ...
set -eu
src=${1:?usage: tests/intree.sh HTTPD_SRC}
top=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/server/mpm/prefork/prefork.c" ] || {
    echo "intree.sh: $src does not look like an httpd 2.4 source tree" >&2
    exit 1
}
dst="$src/server/mpm/peruid"
mkdir -p "$dst"
cp "$top"/mpm_peruid/*.c "$top"/mpm_peruid/*.h "$top"/mpm_peruid/Makefile.in \
   "$top"/include/mpm_peruid.h "$top"/config.m4 "$top"/config3.m4 "$dst/"
cp "$top"/include/mpm_peruid.h "$src/include/"
echo "copied the peruid MPM to $dst; now run ./buildconf in $src"
