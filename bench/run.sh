#!/bin/bash
# bench/run.sh -- the peruid benchmark: prefork, itk, php-fpm and peruid
# side by side on 127.0.0.1, measured with wrk in interleaved rounds.
# Run as root on Debian 12 ("make bench" runs it after building the module).
#
#   bench/run.sh          install, set up, start, measure, stop, report
#   bench/run.sh b3       (b3) alone, into the last run's data in $BENCH_DIR
#                         (its earlier (b3) data replaced), then the report
#   bench/run.sh g        (g) restarts and stops alone, the same way
#   bench/run.sh report   regenerate docs/benchmarks.{md,png} from $BENCH_DIR
#   bench/run.sh clean    stop leftover servers, remove the bench users and
#                         $BENCH_DIR
#
# Steps of a run: apt-get what is missing; take the module ($PERUID_SO or
# build with tests/build.sh) and copy it into $BENCH_DIR; users, docroots
# and configs (bench/setup.sh); start and check the servers
# (bench/servers.sh); a warm-up per server; (a) with wrk, each scenario in
# rounds A B C D A B C D ... after a warm-up; (e) cold start; (b) like (a);
# (c) memory right after (b) (bench/mem.py); stop everything; (b2) mass
# hosting again from a fresh start of A, B and D2 (peruid with prefork's
# limits); (b3) the same from a fresh start of A3 and D3 (prefork and D2
# with MaxRequestWorkers 64: peruid's warm workers outnumber it, so its
# routers' gate works); (f) -t and start time with 2,000 vhosts, prefork and peruid
# (bench/start_time.py); (g) restarts and stops with 60 and 255 users, prefork
# and peruid (bench/restart_time.py); write $BENCH_DIR/*.tsv, docs/benchmarks.md and
# docs/benchmarks.png (bench/report.py, bench/plot.gp).  See bench/README.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

: "${BENCH_DOCS:=$BENCH_TOP/docs}"
RAW=$BENCH_DIR/raw
RESULTS=$BENCH_DIR/results.tsv
COLD=$BENCH_DIR/cold.tsv
MEMORY=$BENCH_DIR/memory.tsv
META=$BENCH_DIR/meta.tsv
# processes per server once a second through (b), (b2) and (b3), and at the end
PROCS=$BENCH_DIR/procs.tsv
PROCS_END=$BENCH_DIR/procs_end.tsv
# (f): one row per start-time measurement
START=$BENCH_DIR/start.tsv
# (g): one row per server, user count and round
RESTART=$BENCH_DIR/restart.tsv
COLD_PER_ROUND=8
# seconds between two cold-start requests: (e) is the first request of
# one user, not a burst of new users at once (a server may prepare for
# the next one meanwhile, as peruid's preforked workers are replaced)
COLD_GAP=0.25
: "${BENCH_WARMUP_START:=5s}"

# --- 1. what the benchmark needs -------------------------------------------

install_deps() {
    # what the bench uses, curl (checks, cold start) and python3 (report)
    pkgs="wrk libapache2-mpm-itk php8.2-fpm gnuplot-nox libapache2-mod-php8.2 apache2 curl python3"
    missing=
    for p in $pkgs; do
        st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || missing="$missing $p"
    done
    [ -z "$missing" ] && { log "packages: all installed"; return; }
    log "packages: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $pkgs
}

# the module to benchmark, copied into $BENCH_DIR so that a rebuild of the
# source tree cannot pull it from under the running server
take_module() {
    if [ -n "${PERUID_SO:-}" ]; then
        so=$PERUID_SO
        log "module: $so (PERUID_SO)"
    else
        log "module: building with tests/build.sh"
        sh "$BENCH_TOP/tests/build.sh"
        so=$BENCH_TOP/mpm_peruid/.libs/mod_mpm_peruid.so
    fi
    [ -f "$so" ] || die "no module at $so"
    cp "$so" "$BENCH_DIR/.mod_mpm_peruid.so.new"
    mv -f "$BENCH_DIR/.mod_mpm_peruid.so.new" "$BENCH_DIR/mod_mpm_peruid.so"
    SO_SRC=$(readlink -f "$so")
}

# --- the record of the run ---------------------------------------------------

meta() { printf '%s\t%s\n' "$1" "$2" >> "$META"; }

write_meta() {
    : > "$META"
    meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
    meta host_nproc "$(nproc)"
    meta host_cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    meta host_ram "$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    meta host_kernel "$(uname -sr)"
    meta host_loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
    meta host_os "$(. /etc/os-release && echo "$PRETTY_NAME")"
    meta v_apache2 "$(apache2 -v | sed -n 's/^Server version: //p')"
    meta v_php "$(php -v 2>/dev/null | head -n 1)"
    for p in apache2 libapache2-mpm-itk libapache2-mod-php8.2 php8.2-fpm wrk; do
        meta "dpkg_$p" "$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo '?')"
    done
    meta module_src "$SO_SRC"
    meta module_sha256 "$(sha256sum "$BENCH_DIR/mod_mpm_peruid.so" | cut -c1-16)"
    commit=$(git -C "$BENCH_TOP" rev-parse --short HEAD 2>/dev/null || echo '?')
    if [ -n "$(git -C "$BENCH_TOP" status --porcelain -- mpm_peruid include 2>/dev/null)" ]; then
        commit="$commit (work tree differs in mpm_peruid/ or include/)"
    fi
    meta git_commit "$commit"
    meta peruid_so_env "${PERUID_SO:-}"
    meta bench_top "$BENCH_TOP"
    for v in BENCH_ROUNDS BENCH_DURATION BENCH_CONNS BENCH_THREADS BENCH_WARMUP \
             BENCH_WARMUP_B BENCH_WARMUP_START BENCH_PORT_BASE BENCH_DIR \
             BENCH_F_ROUNDS BENCH_G_ROUNDS BENCH_G_USERS BENCH_QUICK; do
        meta "$v" "$(eval echo "\${$v:-}")"
    done
    meta ulimit_n "$(ulimit -n)"
    meta max_spare "$(sed -n 's/^MaxSpareServers //p' "$(server_dir prefork)/httpd.conf")"
    meta peruid_workers "$(sed -n 's/^MaxRequestWorkers //p' "$(server_dir peruid)/httpd.conf")"
    meta n_start_users "$N_START"
}

# --- 4. wrk ---------------------------------------------------------------------

# parse wrk's output into one TSV row (NA: wrk printed no latency):
# rps p50_ms p99_ms requests non2xx err_connect err_read err_write err_timeout
parse_wrk() {
    awk '
    function ms(v) {
        if (v ~ /us$/) return v / 1000
        if (v ~ /ms$/) return v + 0
        if (v ~ /m$/)  return v * 60000
        if (v ~ /h$/)  return v * 3600000
        if (v ~ /s$/)  return v * 1000
        return v + 0
    }
    BEGIN { rps = 0; p50 = "NA"; p99 = "NA"; req = 0; n2 = 0; c = 0; r = 0; w = 0; t = 0 }
    /^ +50% /               { p50 = ms($2) }
    /^ +99% /               { p99 = ms($2) }
    / requests in /         { req = $1 }
    /^Requests\/sec:/       { rps = $2 }
    /Non-2xx or 3xx responses:/ { n2 = $NF }
    /Socket errors:/        { gsub(",", ""); c = $4; r = $6; w = $8; t = $10 }
    END { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rps, p50, p99, req, n2, c, r, w, t }'
}

# run_wrk SCENARIO SERVER ROUND DURATION; a ROUND "warmup..." is not recorded
run_wrk() {
    sc=$1; s=$2; round=$3; dur=$4
    url=http://127.0.0.1:$(server_port "$s")
    set -- -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d"$dur" --latency
    case $sc in
        a-static-ka)    set -- "$@" -H 'Host: s000.bench' "$url/index.html";;
        a-static-close) set -- "$@" -H 'Host: s000.bench' -H 'Connection: close' "$url/index.html";;
        a-php-ka)       set -- "$@" -H 'Host: s000.bench' "$url/hello.php";;
        a-php-close)    set -- "$@" -H 'Host: s000.bench' -H 'Connection: close' "$url/hello.php";;
        b-zipf|b2-zipf|b3-zipf) set -- "$@" -s "$BENCH_SRC/zipf.lua" "$url/";;
        *) die "unknown scenario $sc";;
    esac
    out=$RAW/$sc-$s-$round.txt
    { echo "# wrk $*"; wrk "$@" 2>&1; } > "$out" || log "wrk exited with $? ($out)"
    case $round in warmup*) return 0;; esac
    row=$(parse_wrk < "$out")
    printf '%s\t%s\t%s\t%s\n' "$sc" "$s" "$round" "$row" >> "$RESULTS"
    set -- $row
    err=$(( $5 + $6 + $7 + $8 + $9 ))
    if [ "$err" -gt 0 ]; then
        log "  $sc $s r$round: $1 req/s  p50 $2 ms  p99 $3 ms  ERRORS: non-2xx $5, socket connect $6 read $7 write $8 timeout $9"
    else
        log "  $sc $s r$round: $1 req/s  p50 $2 ms  p99 $3 ms"
    fi
}

# run_scenario SCENARIO [SERVER...] (default: $SERVERS)
run_scenario() {
    sc=$1; shift
    # shellcheck disable=SC2086
    [ $# -gt 0 ] || set -- $SERVERS
    w=$BENCH_WARMUP
    case $sc in b-zipf|b2-zipf|b3-zipf) w=$BENCH_WARMUP_B;; esac
    log "scenario $sc: warm-up ($w per server)"
    for s in "$@"; do run_wrk "$sc" "$s" warmup "$w"; done
    r=1
    while [ $r -le "$BENCH_ROUNDS" ]; do
        for s in "$@"; do run_wrk "$sc" "$s" "$r" "$BENCH_DURATION"; done
        r=$((r + 1))
    done
}

# --- processes: growth through (b), (b2) and (b3), and the bound -----------------

# children of process $1 (all its threads'), from /proc without a fork
# (the file has no newline at its end: read fails but fills _k)
n_children() {
    _n=0
    for _f in /proc/"$1"/task/*/children; do
        _k=()
        { read -r -a _k < "$_f"; } 2>/dev/null || true
        _n=$((_n + ${#_k[@]}))
    done
    echo "$_n"
}

# the httpd master of a server (servers.sh pids prints php-fpm's second)
master_pid() {
    _p=$("$BENCH_SRC/servers.sh" pids "$1")
    echo "${_p%%$'\n'*}"
}

# peruid's routers among the children of $1: they run under a system call
# filter (Seccomp: 2), the workers under none
n_routers() {
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        grep -s '^Seccomp:' "/proc/$c/status"
    done | grep -c '2$' || true
}

# the bound on workers: MaxRequestWorkers; peruid's plus PeruidWarmWorkers,
# whose default is one per user/group pair (the vhosts' AssignUserID and
# User's) plus MaxSpareServers, within a quarter of the RAM at 8 MiB each
worker_bound() {    # server
    conf=$(server_dir "$1")/httpd.conf
    mrw=$(sed -n 's/^MaxRequestWorkers //p' "$conf")
    case $1 in
        peruid*)
            warm=$(sed -n 's/^PeruidWarmWorkers //p' "$conf")
            if [ -z "$warm" ]; then
                spare=$(sed -n 's/^MaxSpareServers //p' "$conf")
                pairs=$(grep -h '^ *AssignUserID' "$conf" | sort -u | wc -l)
                mem=$(awk '/^MemTotal:/ { print int($2 / 4 / 8192) }' /proc/meminfo)
                warm=$((pairs + 1 + ${spare:-10}))
                [ "$warm" -gt "$mem" ] && warm=$mem
            fi
            mrw=$((mrw + warm));;
    esac
    echo "$mrw"
}

# sample_procs SCENARIO SERVER...: once a second, the children of each
# server's master into $PROCS, until killed (run in the background)
sample_procs() {
    sc=$1; shift
    declare -A master
    for s in "$@"; do master[$s]=$(master_pid "$s"); done
    t=0
    while :; do
        for s in "$@"; do
            [ -n "${master[$s]}" ] || continue
            printf '%s\t%s\t%s\t%s\n' "$sc" "$s" "$t" "$(n_children "${master[$s]}")" >> "$PROCS"
        done
        sleep 1
        t=$((t + 1))
    done
}

SAMPLER=
start_sampler() { sample_procs "$@" & SAMPLER=$!; }
stop_sampler() {
    [ -n "$SAMPLER" ] || return 0
    kill "$SAMPLER" 2>/dev/null || true
    wait "$SAMPLER" 2>/dev/null || true
    SAMPLER=
}

# processes each server holds right after a scenario's last round, and
# the bound on them, into $PROCS_END
count_procs() {    # scenario server...
    sc=$1; shift
    for s in "$@"; do
        m=$(master_pid "$s")
        [ -n "$m" ] || continue
        kids=$(n_children "$m")
        routers=0
        case $s in peruid*) routers=$(n_routers "$m");; esac
        bound=$(worker_bound "$s")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$sc" "$s" "$kids" "$((kids - routers))" \
            "$routers" "$bound" >> "$PROCS_END"
        log "  $sc $s: $((kids - routers)) workers (+ $routers routers) at the end, bound $bound"
    done
}

# a load scenario with the processes sampled and counted at its end (not
# C's: its PHP processes are php-fpm's, under no bound; (c) counts them)
run_scenario_counted() {    # scenario server...
    sc=$1; shift
    counted=
    for s in "$@"; do [ "$s" = fpm ] || counted="$counted $s"; done
    # shellcheck disable=SC2086
    start_sampler "$sc" $counted
    run_scenario "$sc" "$@"
    stop_sampler
    # shellcheck disable=SC2086
    count_procs "$sc" $counted
}

# --- (e) cold start -------------------------------------------------------------

# peruid hands its StartServers workers round-robin to pools at startup;
# in our runs they went to the main server's pool and to the pools of the
# last vhosts, c39..c33 (docs/directives.md says: configuration order, the
# first ones).  A cold vhost must have no worker: wait (at most
# PeruidIdleTimeout + 15 s) until none of peruid's children runs as a cold
# user.  Normally they idled out during (a) already.
wait_no_cold_workers() {
    m=$("$BENCH_SRC/servers.sh" pids peruid | head -n 1)
    [ -n "$m" ] || return 0
    n=0
    while :; do
        c=$(ps -o user= --ppid "$m" | grep -c '^puc' || true)
        [ "$c" = 0 ] && return 0
        if [ $n -ge 45 ]; then
            log "WARNING: peruid still has $c workers of cold users; cold start is not cold for them"
            meta cold_warm_workers "$c"
            return 0
        fi
        [ $n = 0 ] && log "cold start: waiting for peruid's $c idle workers of cold users to exit"
        sleep 1; n=$((n + 1))
    done
}

# round r asks c(8(r-1)) .. c(8(r-1)+7) of every server once; only as many
# rounds as there are cold vhosts (40 / 8 = 5)
run_cold() {
    rounds=$BENCH_ROUNDS
    max=$((N_COLD / COLD_PER_ROUND))
    [ "$rounds" -gt "$max" ] && rounds=$max
    log "cold start: $rounds rounds x $COLD_PER_ROUND vhosts per server"
    r=1
    while [ $r -le "$rounds" ]; do
        for s in $SERVERS; do
            j=0
            while [ $j -lt $COLD_PER_ROUND ]; do
                h=$(cold_host $(( (r - 1) * COLD_PER_ROUND + j )))
                res=$(curl -s -m 30 -o /dev/null -w '%{time_total} %{http_code}' \
                      -H "Host: $h" "http://127.0.0.1:$(server_port "$s")/hello.php" || true)
                set -- $res
                t=${1:-0}; code=${2:-000}
                ms=$(awk -v t="$t" 'BEGIN { printf "%.3f", t * 1000 }')
                printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$r" "$h" "$ms" "$code" >> "$COLD"
                [ "$code" = 200 ] || log "  cold $s $h: HTTP $code"
                sleep "$COLD_GAP"
                j=$((j + 1))
            done
        done
        r=$((r + 1))
    done
}

# --- (c) memory -------------------------------------------------------------------

measure_memory() {
    log "memory after (b)"
    for s in $SERVERS; do
        # shellcheck disable=SC2046
        python3 "$BENCH_SRC/mem.py" "$s" $("$BENCH_SRC/servers.sh" pids "$s") >> "$MEMORY"
    done
}

# --- (b2) and (b3): mass hosting from a fresh start --------------------------------

# run_fresh b2|b3 SERVER...: (b) against servers started afresh, logging
# to logs/error_log.b2 (.b3), so that A's and B's logs of the main run
# stay as they were: the warm-up is each server's ramp from its start,
# then (b)'s rounds; the servers of the main run are stopped by then
run_fresh() {
    tag=$1; shift
    BENCH_LOG_SUFFIX=.$tag "$BENCH_SRC/servers.sh" start "$@"
    sleep 2
    BENCH_LOG_SUFFIX=.$tag "$BENCH_SRC/servers.sh" check "$@"
    run_scenario_counted "$tag-zipf" "$@"
    for s in "$@"; do
        meta "log_bytes_${tag}_$s" "$(stat -c %s "$(server_dir "$s")/logs/error_log.$tag" 2>/dev/null || echo 0)"
    done
    "$BENCH_SRC/servers.sh" stop "$@"
}

# (b2): prefork and itk again, and D2, peruid with prefork's limits
run_b2() {
    log "(b2) mass hosting with prefork's limits: fresh $SERVERS_B2"
    # shellcheck disable=SC2086
    run_fresh b2 $SERVERS_B2
}

# (b3): A3 and D3, prefork and D2 with MaxRequestWorkers $B3_WORKERS, so
# that peruid's idle workers outnumber MaxRequestWorkers and its routers
# weigh the requests in flight before each hand-off, holding connections
# at the bound (the gate, mpm_peruid/gate.h)
run_b3() {
    log "(b3) mass hosting, MaxRequestWorkers $B3_WORKERS (the gate at work): fresh $SERVERS_B3"
    meta b3_workers "$B3_WORKERS"
    # shellcheck disable=SC2086
    run_fresh b3 $SERVERS_B3
}

# --- (f) start time with 2,000 vhosts ------------------------------------------------

# BENCH_F_ROUNDS rounds, prefork then peruid in each: the wall time of
# "apache2 -t", then from "apache2 -k start" to the first 200 answer of
# the first vhost, then a stop by pid (bench/start_time.py)
run_start_time() {
    log "(f) start time, $N_START vhosts under $N_START users: $BENCH_F_ROUNDS rounds"
    for s in $SERVERS_F; do : > "$(server_dir "$s")/logs/error_log"; done
    r=1
    while [ $r -le "$BENCH_F_ROUNDS" ]; do
        for s in $SERVERS_F; do
            sd=$(server_dir "$s")
            res=$(python3 "$BENCH_SRC/start_time.py" "$sd/httpd.conf" \
                  "$(server_port "$s")" "$(start_host 0)") \
                || die "(f) $s: no measurement; see $sd/logs/error_log"
            set -- $res
            printf '%s\t%s\t%s\t%s\n' "$s" "$r" "$1" "$2" >> "$START"
            log "  $s r$r: apache2 -t $1 ms, start to first answer $2 ms"
        done
        r=$((r + 1))
    done
}

# --- (g) restarts and stops --------------------------------------------------------

# BENCH_G_ROUNDS rounds per user count of BENCH_G_USERS, prefork then
# peruid in each, each with its config rewritten for that count: a start,
# every vhost once, a steady client across -k restart and across -k
# graceful, -k stop, a start again and -k graceful-stop
# (bench/restart_time.py, which stops what it started, also on error)
run_restart_times() {
    log "(g) restarts and stops, $BENCH_G_USERS users: $BENCH_G_ROUNDS rounds"
    printf 'server\tusers\tround\trestart_gap_ms\tgraceful_gap_ms\tgraceful_failed\tstop_ms\tgraceful_stop_ms\tkill_lines\n' > "$RESTART"
    for s in $SERVERS_G; do
        mkdir -p "$(server_dir "$s")/logs"
        : > "$(server_dir "$s")/logs/error_log"
    done
    for n in $BENCH_G_USERS; do
        r=1
        while [ $r -le "$BENCH_G_ROUNDS" ]; do
            for s in $SERVERS_G; do
                sd=$(server_dir "$s")
                "$BENCH_SRC/setup.sh" restart-conf "$s" "$n"
                res=$(python3 "$BENCH_SRC/restart_time.py" "$sd/httpd.conf" \
                      "$(server_port "$s")" "$G_HOST_FORMAT" "$n") \
                    || die "(g) $s: no measurement; see $sd/logs/error_log"
                set -- $res
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$n" "$r" "$@" >> "$RESTART"
                log "  $s $n users r$r: restart gap $1 ms, graceful gap $2 ms ($3 lost), stop $4 ms, graceful-stop $5 ms, kill lines $6"
            done
            r=$((r + 1))
        done
    done
}

# "bench/run.sh g": (g) alone against the module of this call, into the
# data of the last run in $BENCH_DIR if there is one (its (g) replaced),
# else into a new one; the users and docroots are made when missing
run_g_alone() {
    install_deps
    mkdir -p "$BENCH_DIR" "$RAW"
    chmod 0755 "$BENCH_DIR"
    # shellcheck disable=SC2086
    "$BENCH_SRC/servers.sh" stop $SERVERS_G
    take_module
    "$BENCH_SRC/setup.sh" users
    "$BENCH_SRC/setup.sh" docroots
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    if [ -f "$META" ]; then
        { grep -v '^g_alone' "$META" || true; } > "$META.new"
        mv -f "$META.new" "$META"
    fi
    meta g_alone "$(date -u '+%Y-%m-%d %H:%M UTC'), $BENCH_G_ROUNDS round(s), users $BENCH_G_USERS, module sha256 $(sha256sum "$BENCH_DIR/mod_mpm_peruid.so" | cut -c1-16)"
    stop_on_exit
    run_restart_times
    STARTED=
    if [ -s "$RESULTS" ]; then report; else
        python3 - "$BENCH_DIR" "$BENCH_SRC" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import report
run = report.Run(sys.argv[1])
print('\n'.join(report.g_section(run)))
for t, v, met, _ in report.g_targets(run):
    print(f'  [{"x" if met else " "}] {t}: {v}')
PY
    fi
}

# --- 5. report ------------------------------------------------------------------------

report() {
    mkdir -p "$BENCH_DOCS"
    python3 "$BENCH_SRC/report.py" "$BENCH_DIR" "$BENCH_DOCS/benchmarks.md"
    gnuplot -e "datafile='$BENCH_DIR/chart.dat'; outfile='$BENCH_DOCS/benchmarks.png'" \
        "$BENCH_SRC/plot.gp"
    log "wrote $BENCH_DOCS/benchmarks.md, $BENCH_DOCS/benchmarks.png, raw results in $BENCH_DIR"
}

# --- the run ----------------------------------------------------------------------------

STARTED=
on_exit() {
    rc=$?
    trap - EXIT INT TERM
    stop_sampler
    if [ -n "$STARTED" ]; then
        [ $rc = 0 ] || log "stopping the servers after an error (exit $rc)"
        # every server of the run (the ones of b2 and f too), by pid file
        "$BENCH_SRC/servers.sh" stop || true
    fi
    exit $rc
}

# from here on, an exit (also on error or a signal) stops every server
stop_on_exit() {
    STARTED=1
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

run() {
    t0=$(date +%s)
    install_deps
    # leftovers of an earlier, interrupted run
    if [ -d "$BENCH_DIR" ]; then "$BENCH_SRC/servers.sh" stop; fi
    mkdir -p "$BENCH_DIR"
    chmod 0755 "$BENCH_DIR"
    take_module
    "$BENCH_SRC/setup.sh" all

    rm -rf "$RAW" "$RESULTS" "$COLD" "$MEMORY" "$META" "$BENCH_DIR/chart.dat" \
        "$PROCS" "$PROCS_END" "$START" "$RESTART"
    mkdir -p "$RAW"
    printf 'scenario\tserver\tround\trps\tp50_ms\tp99_ms\trequests\tnon2xx\terr_connect\terr_read\terr_write\terr_timeout\n' > "$RESULTS"
    printf 'server\tround\thost\tms\thttp_code\n' > "$COLD"
    printf 'server\tprocs\trss_kb\tpss_kb\tworkers\tworker_rss_kb\tworker_pss_kb\n' > "$MEMORY"
    printf 'scenario\tserver\tsecond\tchildren\n' > "$PROCS"
    printf 'scenario\tserver\tchildren\tworkers\trouters\tbound\n' > "$PROCS_END"
    printf 'server\tround\tt_ms\tstart_ms\n' > "$START"

    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    write_meta

    stop_on_exit
    # shellcheck disable=SC2086
    "$BENCH_SRC/servers.sh" start $SERVERS
    sleep 2        # let prefork reach its spares, peruid its StartServers
    # shellcheck disable=SC2086
    "$BENCH_SRC/servers.sh" check $SERVERS
    # peruid's routers (PeruidRouters at its default): the children of its
    # master under a system call filter (workers have none)
    m=$("$BENCH_SRC/servers.sh" pids peruid | head -n 1)
    [ -z "$m" ] || meta peruid_routers "$(for c in $(ps -o pid= --ppid "$m"); do
        grep -s '^Seccomp:' "/proc/$c/status"; done | grep -c '2$' || true)"

    # one warm-up for every server first: prefork starts 8 children and
    # forks at most 1, 2, 4 ... more per second, so it needs seconds to reach
    # the 16 connections of a round (it keeps them: MaxSpareServers)
    log "server warm-up: $BENCH_WARMUP_START per server (static, keep-alive)"
    for s in $SERVERS; do run_wrk a-static-ka "$s" warmup-start "$BENCH_WARMUP_START"; done
    # (a), then (e) cold start on servers in a steady state (one busy site),
    # then (b) and (c) memory
    for sc in $SCENARIOS; do
        if [ "$sc" = b-zipf ]; then
            wait_no_cold_workers; run_cold
            # shellcheck disable=SC2086
            run_scenario_counted "$sc" $SERVERS
            measure_memory
        else
            run_scenario "$sc"
        fi
    done

    # what the logs hold up to here is the run's; the rest is the stop's
    for s in $SERVERS; do
        meta "log_bytes_$s" "$(stat -c %s "$(server_dir "$s")/logs/error_log" 2>/dev/null || echo 0)"
    done
    meta log_bytes_php-fpm "$(stat -c %s "$(server_dir fpm)/logs/php-fpm.log" 2>/dev/null || echo 0)"
    # shellcheck disable=SC2086
    "$BENCH_SRC/servers.sh" stop $SERVERS
    # on a machine without the four servers' processes: (b2), (b3), then (f)
    run_b2
    run_b3
    run_start_time
    run_restart_times
    STARTED=
    t1=$(date +%s)
    meta runtime_s "$((t1 - t0))"
    report
    log "done in $((t1 - t0)) s"
}

# "bench/run.sh b3": (b3) alone against the module of this call (PERUID_SO
# or a tests/build.sh build), into the data of the last run in $BENCH_DIR,
# whose users and docroots it needs: the run's (b3) rows, samples, meta
# lines and wrk output are replaced, the rest is kept; then the report,
# which says that (b3) was run alone, when and with which module
run_b3_alone() {
    [ -s "$RESULTS" ] || die "no $RESULTS: (b3) alone adds to a run's data; run the benchmark first"
    [ -d "$WWW/pub000" ] || die "no docroots under $WWW: run the benchmark first"
    install_deps
    # shellcheck disable=SC2086
    "$BENCH_SRC/servers.sh" stop $SERVERS_B3
    take_module
    "$BENCH_SRC/setup.sh" configs
    for f in "$RESULTS" "$PROCS" "$PROCS_END" "$META"; do
        [ -f "$f" ] || continue
        grep -v -e '^b3[-_]' -e '^log_bytes_b3_' "$f" > "$f.new" || true
        mv -f "$f.new" "$f"
    done
    mkdir -p "$RAW"
    rm -f "$RAW"/b3-zipf-*
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    meta b3_alone "$(date -u '+%Y-%m-%d %H:%M UTC'), $BENCH_ROUNDS round(s) of $BENCH_DURATION, wrk -t$BENCH_THREADS -c$BENCH_CONNS, module sha256 $(sha256sum "$BENCH_DIR/mod_mpm_peruid.so" | cut -c1-16)"
    meta b3_warmup_b "$BENCH_WARMUP_B"
    stop_on_exit
    run_b3
    STARTED=
    report
}

[ "$(id -u)" = 0 ] || die "run as root"
case ${1:-run} in
    run) run;;
    b3) run_b3_alone;;
    g) run_g_alone;;
    report) report;;
    clean)
        if [ -d "$BENCH_DIR" ]; then "$BENCH_SRC/servers.sh" stop; fi
        "$BENCH_SRC/setup.sh" remove-users
        rm -rf "$BENCH_DIR"
        log "removed $BENCH_DIR";;
    *) echo "usage: $0 [run|b3|g|report|clean]" >&2; exit 2;;
esac
