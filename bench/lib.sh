# shellcheck shell=bash disable=SC2034
# bench/lib.sh -- settings and small helpers shared by the benchmark scripts
# (sourced by bench/run.sh, bench/setup.sh and bench/servers.sh; not run).
#
# Every setting can be overridden from the environment; bench/README lists
# them.

: "${BENCH_DIR:=/var/tmp/peruid-bench}"
# BENCH_QUICK=1: a short run that checks that every step works end to end
# (1 round of 2 s, short warm-ups, 2 rounds of (f)); its figures are not
# fit for comparison.  Settings given explicitly still win.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    : "${BENCH_ROUNDS:=1}" "${BENCH_DURATION:=2s}" "${BENCH_WARMUP:=1s}"
    : "${BENCH_WARMUP_B:=3s}" "${BENCH_WARMUP_START:=1s}" "${BENCH_F_ROUNDS:=2}"
    : "${BENCH_G_ROUNDS:=1}"
fi
: "${BENCH_ROUNDS:=5}"
: "${BENCH_DURATION:=5s}"
: "${BENCH_CONNS:=16}"
: "${BENCH_THREADS:=2}"
: "${BENCH_WARMUP:=2s}"
# (b) starts processes for 200 users in three of the servers: a longer
# warm-up, so that its rounds measure the steady state (the ramp itself is
# reported from this warm-up)
: "${BENCH_WARMUP_B:=10s}"
: "${BENCH_PORT_BASE:=8300}"
# (f) start time: measurements per MPM (-t and start each)
: "${BENCH_F_ROUNDS:=5}"
# (f): uids and gids BENCH_F_UID_BASE .. +1999 (must be free)
: "${BENCH_F_UID_BASE:=52000}"
# (g) restarts and stops: rounds per user count, and the user counts
: "${BENCH_G_ROUNDS:=3}"
: "${BENCH_G_USERS:=60 255}"

# the four servers, in the order every round runs them
SERVERS="prefork itk fpm peruid"
# (b2), mass hosting with prefork's limits: prefork and itk restarted, and
# peruid with exactly prefork's limits (server D2, peruid-limits)
SERVERS_B2="prefork itk peruid-limits"
# (b3), mass hosting with the MaxRequestWorkers gate at work: prefork with
# MaxRequestWorkers and ServerLimit $B3_WORKERS (A3, prefork-64) and D2
# with the same (D3, peruid-64), whose warm workers then outnumber
# MaxRequestWorkers, so that its routers weigh the requests in flight
# before each hand-off (the gate, mpm_peruid/gate.h)
SERVERS_B3="prefork-64 peruid-64"
B3_WORKERS=64
# (f), start time with 2,000 vhosts under 2,000 users: the same config
# but for the MPM, one server at a time
SERVERS_F="prefork-2k peruid-2k"
# (g), restarts and stops with $BENCH_G_USERS vhosts under as many of (f)'s
# users: the same config but for the MPM, one server at a time
SERVERS_G="prefork-rs peruid-rs"
# every server a run may start (what "stop" stops)
ALL_SERVERS="$SERVERS peruid-limits $SERVERS_B3 $SERVERS_F $SERVERS_G"
# 200 site users (pub000..pub199 for s000.bench..s199.bench) and 40
# cold-start users (puc00..puc39 for c00.cold..c39.cold)
N_SITES=200
N_COLD=40
# user pools of peruid: the sites, the cold-start users and User (default)
NPOOLS=$((N_SITES + N_COLD + 1))
# (f): users puf0000..puf1999 for f0000.start .. f1999.start
N_START=2000
# the load scenarios, in the order they run
SCENARIOS="a-static-ka a-static-close a-php-ka a-php-close b-zipf"

BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
BENCH_SRC=$BENCH_TOP/bench
WWW=$BENCH_DIR/www
MODS=/usr/lib/apache2/modules

export BENCH_DIR BENCH_ROUNDS BENCH_DURATION BENCH_CONNS BENCH_THREADS \
       BENCH_WARMUP BENCH_WARMUP_B BENCH_PORT_BASE BENCH_F_ROUNDS \
       BENCH_F_UID_BASE BENCH_G_ROUNDS BENCH_G_USERS

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[bench] FATAL: %s\n' "$*" >&2; exit 1; }

# letter, port and directory of a server
server_letter() {
    case $1 in prefork) echo A;; itk) echo B;; fpm) echo C;; peruid) echo D;;
        peruid-limits) echo D2;; prefork-64) echo A3;; peruid-64) echo D3;;
        prefork-2k|peruid-2k) echo F;;
        prefork-rs|peruid-rs) echo G;;
        *) die "unknown server $1";; esac
}
server_port() {
    case $1 in prefork) echo $((BENCH_PORT_BASE + 1));;
        itk) echo $((BENCH_PORT_BASE + 2));;
        fpm) echo $((BENCH_PORT_BASE + 3));;
        peruid) echo $((BENCH_PORT_BASE + 4));;
        peruid-limits) echo $((BENCH_PORT_BASE + 5));;
        prefork-2k) echo $((BENCH_PORT_BASE + 6));;
        peruid-2k) echo $((BENCH_PORT_BASE + 7));;
        prefork-64) echo $((BENCH_PORT_BASE + 8));;
        peruid-64) echo $((BENCH_PORT_BASE + 9));;
        prefork-rs) echo $((BENCH_PORT_BASE + 10));;
        peruid-rs) echo $((BENCH_PORT_BASE + 11));;
        *) die "unknown server $1";; esac
}
server_dir() { echo "$BENCH_DIR/$(server_letter "$1")-$1"; }

# user names: site_user 7 -> pub007, cold_user 7 -> puc07
site_user() { printf 'pub%03d' "$1"; }
site_host() { printf 's%03d.bench' "$1"; }
cold_user() { printf 'puc%02d' "$1"; }
cold_host() { printf 'c%02d.cold' "$1"; }
start_user() { printf 'puf%04d' "$1"; }
start_host() { printf 'f%04d.start' "$1"; }
# (g)'s vhosts, g000.restart ..., as printf and Python formats
G_HOST_FORMAT='g%03d.restart'

# the pid in a pid file, if that process is alive
live_pid() {
    [ -s "$1" ] || return 1
    _p=$(cat "$1" 2>/dev/null) || return 1
    case $_p in ''|*[!0-9]*) return 1;; esac
    kill -0 "$_p" 2>/dev/null || return 1
    echo "$_p"
}
