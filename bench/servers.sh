#!/bin/bash
# bench/servers.sh -- start, check and stop the benchmark servers (run as
# root; called by bench/run.sh).  Every process is started from a config
# under $BENCH_DIR and stopped by the pid in its own pid file.
#
#   bench/servers.sh start SERVER...   SERVER: prefork itk fpm peruid
#                                      peruid-limits prefork-64 peruid-64
#                                      (check works for these)
#                                      prefork-2k peruid-2k
#   bench/servers.sh check SERVER...   fail loudly unless each answers right
#   bench/servers.sh stop  [SERVER...] (default: every server of lib.sh)
#   bench/servers.sh pids  SERVER      master pids (httpd, then php-fpm for C)
#
# BENCH_LOG_SUFFIX=.b2 (start): the server logs to logs/error_log.b2
# instead of logs/error_log (a second start of a server in the same run
# keeps the first one's log for the report); check shows that log's tail.
set -eu
. "$(dirname "$0")/lib.sh"

httpd_pidfile() { echo "$(server_dir "$1")/run/httpd.pid"; }
fpm_pidfile() { echo "$(server_dir fpm)/run/php-fpm.pid"; }

# wait up to $2 seconds for pid $1 to go away
wait_gone() {
    n=0
    while kill -0 "$1" 2>/dev/null; do
        [ $n -ge $(($2 * 10)) ] && return 1
        sleep 0.1; n=$((n + 1))
    done
}

# wait up to 10 s for a pid file to name a live process
wait_pidfile() {
    n=0
    until live_pid "$1" >/dev/null; do
        [ $n -ge 100 ] && return 1
        sleep 0.1; n=$((n + 1))
    done
}

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

start_fpm() {
    fd=$(server_dir fpm)
    pf=$(fpm_pidfile)
    if p=$(live_pid "$pf"); then die "php-fpm already running (pid $p)"; fi
    rm -f "$fd"/sock/*.sock "$pf"
    /usr/sbin/php-fpm8.2 --fpm-config "$fd/php-fpm.conf" --pid "$pf" -t 2>&1 \
        | grep -v 'test is successful' >&2 || true
    /usr/sbin/php-fpm8.2 --fpm-config "$fd/php-fpm.conf" --pid "$pf" -D \
        || die "php-fpm did not start; see $fd/logs/php-fpm.log"
    wait_pidfile "$pf" || die "php-fpm wrote no pid file $pf"
    log "php-fpm started (pid $(cat "$pf"), $((N_SITES + N_COLD)) pools)"
}

start_httpd() {
    s=$1; sd=$(server_dir "$s"); port=$(server_port "$s")
    pf=$(httpd_pidfile "$s")
    if p=$(live_pid "$pf"); then die "$s already running (pid $p)"; fi
    port_free "$port" || die "port 127.0.0.1:$port is taken: $(ss -Hltnp "sport = :$port")"
    rm -f "$pf"
    el=$sd/logs/error_log${BENCH_LOG_SUFFIX:-}
    set -- -f "$sd/httpd.conf" -c "ErrorLog $el"
    : > "$el"
    apache2 "$@" -t 2>&1 | grep -v '^Syntax OK' >&2 || true
    apache2 "$@" -t >/dev/null 2>&1 \
        || die "$s: apache2 -t failed on $sd/httpd.conf"
    apache2 "$@" -k start || die "$s: apache2 -k start failed; see $el"
    wait_pidfile "$pf" || { tail -n 20 "$el" >&2; die "$s: no pid file $pf"; }
    log "$s started on 127.0.0.1:$port (pid $(cat "$pf"))"
}

start_one() {
    [ "$1" = fpm ] && start_fpm
    start_httpd "$1"
}

stop_httpd() {
    s=$1; sd=$(server_dir "$s"); pf=$(httpd_pidfile "$s")
    p=$(live_pid "$pf") || return 0
    apache2 -f "$sd/httpd.conf" -k stop 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
    if ! wait_gone "$p" 30; then
        log "$s: master $p still there 30 s after stop; SIGKILL"
        kill -KILL "$p" 2>/dev/null || true
        wait_gone "$p" 5 || true
    fi
    log "$s stopped (pid $p)"
}

stop_fpm() {
    pf=$(fpm_pidfile)
    p=$(live_pid "$pf") || return 0
    kill -QUIT "$p" 2>/dev/null || true      # graceful: children finish
    if ! wait_gone "$p" 15; then
        kill -TERM "$p" 2>/dev/null || true
        wait_gone "$p" 10 || { kill -KILL "$p" 2>/dev/null || true; }
    fi
    log "php-fpm stopped (pid $p)"
}

stop_one() {
    stop_httpd "$1"
    [ "$1" = fpm ] && stop_fpm
    return 0
}

# GET $3 from server $1 with Host $2; prints the body, fails on non-200
get() {
    out=$(curl -s -m 10 -o - -w '\n%{http_code}' -H "Host: $2" \
          "http://127.0.0.1:$(server_port "$1")$3") || return 1
    code=${out##*
}
    body=${out%
*}
    [ "$code" = 200 ] || { echo "HTTP $code: $body" | head -c 300; return 1; }
    printf '%s' "$body"
}

check_one() {
    s=$1; sd=$(server_dir "$s"); bad=0
    for i in 0 $((N_SITES - 1)); do
        u=$(site_user $i); h=$(site_host $i)
        case $s in prefork*) want=$(id -u www-data);; *) want=$(id -u "$u");; esac
        got=$(get "$s" "$h" /hello.php) || { log "$s: $h/hello.php: $got"; bad=1; continue; }
        if [ "$got" != "hello $want" ]; then
            log "$s: $h/hello.php answered '$got', want 'hello $want'"; bad=1
        fi
        got=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{size_download}' \
              -H "Host: $h" "http://127.0.0.1:$(server_port "$s")/index.html") || true
        [ "$got" = "200 1024" ] || { log "$s: $h/index.html: '$got', want '200 1024'"; bad=1; }
    done
    # the default vhost has no PHP pool under C: ask it for index.html only
    got=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{size_download}' \
          -H "Host: default.bench" "http://127.0.0.1:$(server_port "$s")/index.html") || true
    [ "$got" = "200 1024" ] || { log "$s: default.bench/index.html: '$got', want '200 1024'"; bad=1; }
    if [ $bad != 0 ]; then
        el=$sd/logs/error_log${BENCH_LOG_SUFFIX:-}
        echo "---- $el (last 20 lines)" >&2
        tail -n 20 "$el" >&2
        [ "$s" = fpm ] && { echo "---- php-fpm.log" >&2; tail -n 20 "$sd/logs/php-fpm.log" >&2; }
        die "$s does not answer its vhosts correctly"
    fi
    log "$s answers: s000/s199 hello.php as the site's uid, index.html 1024 bytes"
}

pids_one() {
    live_pid "$(httpd_pidfile "$1")" || true
    [ "$1" = fpm ] && { live_pid "$(fpm_pidfile)" || true; }
    return 0
}

cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
    start) for s in "$@"; do start_one "$s"; done;;
    check) for s in "$@"; do check_one "$s"; done;;
    stop) [ $# -gt 0 ] || set -- $ALL_SERVERS; for s in "$@"; do stop_one "$s"; done;;
    pids) pids_one "$1";;
    *) echo "usage: $0 start|check|stop|pids SERVER..." >&2; exit 2;;
esac
