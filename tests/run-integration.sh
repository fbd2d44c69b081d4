#!/bin/bash
# tests/run-integration.sh -- the Apache::Test integration suite of the
# peruid MPM.  Run as root from a checkout after "make":
#
#     tests/run-integration.sh                 # the whole suite
#     tests/run-integration.sh t/protocol.t    # some tests only
#     tests/run-integration.sh -verbose t/double_check.t
#
# It creates the test users and groups when missing, prepares the
# document roots (ownership and modes matter: they are what the tests
# check), runs "t/TEST -clean" and then t/TEST, and always stops every
# server it or the tests started -- by pid, from the pid files.  The exit
# status is non-zero on any failure.
#
# The whole suite runs in three streams at once: t/TEST runs the tests
# that use Apache::Test's server (and some others), while two proves run
# beside it the tests of $side_tests and $side2_tests below, which start
# only instances of their own (on free ports, under
# $PERUID_ITEST_ROOT/inst-*) and mostly wait.  Tests
# named on the command line, or PERUID_ITEST_SERIAL=1, run one after the
# other under t/TEST alone.  All three streams print every check (verbose),
# so that a check that fails once under load says which it was.
#
# Environment:
#   PERUID_ITEST_ROOT   runtime directory (document roots, logs of the
#                       test-private instances), removed and recreated;
#                       default /tmp/peruid-itest-<hash of the checkout
#                       path>; must be /tmp/peruid-itest* or
#                       /var/tmp/peruid-itest*.
#                       It must be reachable by the test users, which is
#                       why it is not inside the checkout.
#   PERUID_MODULE       the module to test (default: the checkout's
#                       mpm_peruid/.libs/mod_mpm_peruid.so)
#   PERUID_ITEST_KEEP=1 keep the runtime directory afterwards
#   APACHE_TEST_PORT    base port (default: select a free one)
#   PERUID_ITEST_SERIAL=1  the whole suite in one stream
set -eu

# Descriptors inherited from the caller (such as the lock file of
# "flock LOCK tests/run-integration.sh") are closed: a server a test
# leaves behind would otherwise keep them open, and the lock held.
for fd in $(ls /proc/$$/fd); do
    if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then
        eval "exec $fd>&-" 2>/dev/null || true
    fi
done

# The side streams: tests that talk to instances of their own only, never
# to Apache::Test's server (t/TEST's -run-tests does not reconfigure, so
# they read a settled t/conf).  Each about a third of the suite's time, so
# that the three streams end together (most of it is waiting: the suite
# used 46 s of CPU in 184 s of tests); the tests with bounds on latencies
# (t/share.t, t/fairness.t, t/pools.t) stay in the main stream, apart from
# each other and from t/restart.t's load.  t/router_user.t runs alone,
# before the streams: it deletes the routers' system user and checks that
# a server creates it again; beside it t/credentials.t (which checks the
# routers' ids) failed, t/named_users.t got the uid it had just freed
# while routers still ran as it, and another stream's server created the
# user first.
solo_tests="t/router_user.t"
# t/faults_load.t runs alone after the streams: 256 connections for about
# 2.5 minutes take both CPUs, which would starve the tests beside it (and
# its own figures would be the other tests' as much as its own).
# t/slow_clients.t too: it compares b.test's p99 with 1,000 dripping
# clients against its p99 without them (at most 5x); beside the streams
# the other tests' load made that 0.7 ms against 4.1 ms (5.7x) in one
# run, alone it was 1.5x to 1.9x.
solo_after_tests="t/faults_load.t t/slow_clients.t"
side_tests="t/restart.t t/mpm_config.t t/attack_scheduler.t t/worker_socket.t
            t/mass_users.t t/preforked.t t/ptrace_unknown.t t/tls.t
            t/answers.t"
side2_tests="t/attack_restart.t t/shared_memory.t t/shared_memory_closed.t
             t/limits.t t/logs.t t/debian_layout.t t/protocol.t
             t/shared_mappings.t t/itk.t t/stop_speed.t"

tests=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$tests/.." && pwd)

if [ "$(id -u)" != 0 ]; then
    echo "run-integration.sh: must run as root (the MPM switches users)" >&2
    exit 2
fi

export PERUID_MODULE=${PERUID_MODULE:-$top/mpm_peruid/.libs/mod_mpm_peruid.so}
if [ ! -f "$PERUID_MODULE" ]; then
    echo "run-integration.sh: $PERUID_MODULE not found; build first" \
         "(autoconf && ./configure && make)" >&2
    exit 2
fi
hash=$(printf '%s' "$top" | md5sum | cut -c1-8)
export PERUID_ITEST_ROOT=${PERUID_ITEST_ROOT:-/tmp/peruid-itest-$hash}
export APACHE_TEST_PORT=${APACHE_TEST_PORT:-select}
# Apache::Test would otherwise pick "nobody" for User; the suite's default
# vhost and the routers run as this user.
export APACHE_TEST_USER=peruid_td APACHE_TEST_GROUP=peruid_td

# ---------------------------------------------------------------- users
ensure_group() {
    getent group "$1" >/dev/null || groupadd --system "$1"
}
ensure_user() {
    if ! getent passwd "$1" >/dev/null; then
        ensure_group "$1"
        useradd --system --gid "$1" --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$1"
    fi
}
ensure_user peruid_ta
ensure_user peruid_tb
ensure_user peruid_td
ensure_user peruid_tf             # t/limits.t's alone: its processes counted
ensure_group peruid_tx            # supplementary group of peruid_ta only
usermod -a -G peruid_tx peruid_ta
if id -nG peruid_tb | tr ' ' '\n' | grep -qx peruid_tx; then
    gpasswd -d peruid_tb peruid_tx >/dev/null
fi

# ------------------------------------------------------------ document roots
root=$PERUID_ITEST_ROOT
# it is removed and recreated: only a directory of our own in /tmp or
# /var/tmp, named peruid-itest*
case "$root" in
    /tmp/peruid-itest*|/var/tmp/peruid-itest*) ;;
    *) [ -n "${PERUID_ITEST_ROOT_FORCE:-}" ] || {
           echo "run-integration.sh: refusing PERUID_ITEST_ROOT=$root:" \
                "not /tmp/peruid-itest* or /var/tmp/peruid-itest*" \
                "(set PERUID_ITEST_ROOT_FORCE=1)" >&2
           exit 2; } ;;
esac
case "$root" in
    *..*|*/) echo "run-integration.sh: bad PERUID_ITEST_ROOT=$root" >&2
             exit 2 ;;
esac

# ------------------------------------------------------------------ cleanup
# Every pid file a server of ours may have written: Apache::Test's and the
# test-private instances' (t/*.t start those under $root/inst-*).
stop_pidfile() {
    local pf=$1 pid i
    [ -f "$pf" ] || return 0
    pid=$(cat "$pf" 2>/dev/null || true)
    case "$pid" in ''|*[!0-9]*) return 0 ;; esac
    # only a live apache2/httpd process, never whatever reuses the pid
    if kill -0 "$pid" 2>/dev/null \
       && grep -qE '^(apache2|httpd)$' "/proc/$pid/comm" 2>/dev/null; then
        echo "run-integration.sh: stopping server pid $pid ($pf)" >&2
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}
side_pid=
side2_pid=
cleanup() {
    local rc=$? pf p
    trap - EXIT INT TERM
    # the side streams' prove, if still running (their tests' instances
    # are stopped below, by their pid files)
    for p in $side_pid $side2_pid; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    stop_pidfile "$tests/t/logs/httpd.pid"
    for pf in "$root"/inst-*/logs/httpd.pid; do
        stop_pidfile "$pf"
    done
    if [ "$rc" = 0 ] && [ -z "${PERUID_ITEST_KEEP:-}" ]; then
        rm -rf "$root"
    else
        echo "run-integration.sh: runtime files kept in $root;" \
             "server logs in $tests/t/logs" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# a server left over from an interrupted run
stop_pidfile "$tests/t/logs/httpd.pid"
for pf in "$root"/inst-*/logs/httpd.pid; do
    stop_pidfile "$pf"
done

rm -rf "$root"
mkdir -p "$root"
chmod 0755 "$root"
mkdir -p "$root/htdocs"
for site in default a a2 b attack; do
    cp -R "$tests/htdocs/$site" "$root/htdocs/$site"
    cp "$tests"/htdocs/common/* "$root/htdocs/$site/"   # whoami.php etc.
done
chown -R root:root "$root/htdocs"
find "$root/htdocs" -type d -exec chmod 0755 {} +
find "$root/htdocs" -type f -exec chmod 0644 {} +
find "$root/htdocs" -type f -name '*.cgi' -exec chmod 0755 {} +
chown -R peruid_ta:peruid_ta "$root/htdocs/a" "$root/htdocs/a2"
# the attacker fixtures (t/attack_*.t): served only by test vhosts of
# peruid_ta that enable PHP's FFI
chown -R peruid_ta:peruid_ta "$root/htdocs/attack"
chown -R peruid_tb:peruid_tb "$root/htdocs/b"
chown -R peruid_td:peruid_td "$root/htdocs/default"

# The secrets: 0600, readable by their owner only.  The directories stay
# 0755, so a failed read is due to the file's mode, not to the path.
printf 'SECRET-OF-A %s\n' "$hash" > "$root/htdocs/a/secret.txt"
chown peruid_ta:peruid_ta "$root/htdocs/a/secret.txt"
chmod 0600 "$root/htdocs/a/secret.txt"
printf 'SECRET-OF-B %s\n' "$hash" > "$root/htdocs/b/secret.txt"
chown peruid_tb:peruid_tb "$root/htdocs/b/secret.txt"
chmod 0600 "$root/htdocs/b/secret.txt"
# b.test's way to A's secret as a static file: the file is outside b's
# document root, so a symlink (Options FollowSymLinks) points at it
ln -s ../a/secret.txt "$root/htdocs/b/a-secret-link.txt"
ln -s ../a/secret.txt "$root/htdocs/default/a-secret-link.txt"
ln -s ../a/secret.txt "$root/htdocs/a2/a-secret-link.txt"
# a large static file (t/protocol.t reads it slowly)
head -c 8000000 /dev/urandom > "$root/htdocs/a/big.bin"
chown peruid_ta:peruid_ta "$root/htdocs/a/big.bin"
chmod 0644 "$root/htdocs/a/big.bin"
# readable through the supplementary group peruid_tx only (peruid_ta)
mkdir -p "$root/shared"
printf 'GROUP-TX-FILE\n' > "$root/shared/group-tx.txt"
chown root:peruid_tx "$root/shared/group-tx.txt"
chmod 0640 "$root/shared/group-tx.txt"
chmod 0755 "$root/shared"

# ------------------------------------------------- the probe test module
# mod_peruid_probe uses include/mpm_peruid.h as other modules would
# (t/optional_fn.t); built with the same apxs as the MPM.
apxs=$(command -v apxs || command -v apxs2)
(cd "$tests/modules" && "$apxs" -c -I"$top/include" mod_peruid_probe.c \
    >/dev/null)

# side_end PID LOG TESTS: wait for a side stream's prove, print its
# output, and make rc its status if it failed
side_end() {
    local side_rc=0
    wait "$1" || side_rc=$?
    echo "run-integration.sh: beside t/TEST, prove $3:"
    cat "$2"
    [ "$side_rc" = 0 ] || rc=$side_rc
}

# ------------------------------------------------------------------- run
cd "$tests"
rc=0
# t/TEST (git-ignored) is t/TEST.PL, as Apache::Test projects do it
install -m 0755 t/TEST.PL t/TEST
t/TEST -clean
if [ $# -gt 0 ] || [ -n "${PERUID_ITEST_SERIAL:-}" ]; then
    t/TEST "$@" || rc=$?
else
    # configure and start Apache::Test's server, then the three streams
    t/TEST -start-httpd || rc=$?
    if [ "$rc" = 0 ]; then
        main_tests=
        for t in t/*.t; do
            # shellcheck disable=SC2086
            case " $(echo $solo_tests $solo_after_tests $side_tests \
                          $side2_tests) " in
                *" $t "*) ;;
                *) main_tests="$main_tests $t" ;;
            esac
        done
        # shellcheck disable=SC2086
        t/TEST -run-tests -verbose $solo_tests || rc=$?
        side_log="$root/side.log"
        side2_log="$root/side2.log"
        # shellcheck disable=SC2086
        prove -v ${HARNESS_TIMER:+--timer} $side_tests >"$side_log" 2>&1 &
        side_pid=$!
        # shellcheck disable=SC2086
        prove -v ${HARNESS_TIMER:+--timer} $side2_tests >"$side2_log" 2>&1 &
        side2_pid=$!
        # shellcheck disable=SC2086
        t/TEST -run-tests -verbose $main_tests || rc=$?
        side_end "$side_pid" "$side_log" "$side_tests"
        side_pid=
        side_end "$side2_pid" "$side2_log" "$side2_tests"
        side2_pid=
        # shellcheck disable=SC2086
        t/TEST -run-tests -verbose $solo_after_tests || rc=$?
        t/TEST -stop-httpd || true
    fi
fi
if [ "$rc" != 0 ]; then
    echo "run-integration.sh: FAILED (exit $rc)" >&2
    exit "$rc"
fi
echo "run-integration.sh: all integration tests passed"
