#!/bin/sh
# bench/peek_cost.sh -- instructions per request head in the router's
# parser (mpm_peruid/peek.c), under valgrind --tool=callgrind.  Builds
# bench/peek_cost.c with -O2 (as apxs builds the module) into a temporary
# directory and prints Ir per parse.  Needs gcc and valgrind.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=${1:-100000}
gcc -O2 -g -I"$top/mpm_peruid" -I/usr/include/apr-1.0 -D_GNU_SOURCE \
    -o "$tmp/peek_cost" "$top/bench/peek_cost.c" "$top/mpm_peruid/peek.c"
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
    "$tmp/peek_cost" "$n" >/dev/null 2>"$tmp/vg.log"
ir=$(callgrind_annotate "$tmp/cg.out" 2>/dev/null \
     | awk '/peruid_peek_parse/ { gsub(",", "", $1); print $1; exit }')
echo "peruid_peek_parse: ${ir:-?} instructions for $n heads," \
     "$(( ${ir:-0} / n )) per head"
