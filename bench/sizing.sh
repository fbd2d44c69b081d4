#!/bin/bash
# bench/sizing.sh -- memory per process and per server for 50, 500 and
# 2,000 users, the figures docs/sizing.md rests on.  Run as root on Debian
# 12, in the source tree (see bench/README, "Sizing"):
#
#   bench/sizing.sh            every size of $SIZING_USERS, then the summary
#   bench/sizing.sh 500        one size
#   bench/sizing.sh report     the summary of the last run's data again
#   bench/sizing.sh clean      stop leftover servers (by their pid files),
#                              remove the psz users and $SIZING_DIR
#
# For each size N: users psz0000 .. (fixed ids from SIZING_UID_BASE, a
# group each) and their docroots (index.html, hello.php); then, holding
# $SIZING_LOCK (other runs' timing-sensitive tests wait meanwhile), on
# 127.0.0.1 only:
#   1. peruid (Debian's apache2 + mod_php 8.2, Debian's php.ini: OPcache
#      on) with N vhosts psz0000.size .., each AssignUserID its own user,
#      and the settings docs/sizing.md recommends for N (size_settings);
#      every process measured after the start ("start"), after every vhost
#      served /hello.php and /index.html ("warm"), and again once the
#      workers stopped changing after PeruidIdleTimeout ("idle"), with the
#      workers counted every 2 s in between, and 10 s after a graceful
#      restart ("graceful");
#   2. prefork with the same vhosts (no AssignUserID: everything as
#      www-data) and the same limits, measured at "start" and "warm".
# Every server is stopped by its pid (also on error or Ctrl-C); the users
# are removed at the end (SIZING_KEEP_USERS=1 keeps them for the next run).
# Data in $SIZING_DIR: meta.tsv, summary.tsv, and per size nN/: the
# configs, error logs, fill-*.tsv, procs-*.tsv, segments-*.tsv, watch.tsv.
# A variant: SIZING_WARM=auto (or a number) sets PeruidWarmWorkers for
# every size instead of the recommended value; SIZING_TAG=x then names
# the size "N-x" in summary.tsv and its directory nN-x/.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

: "${SIZING_USERS:=50 500 2000}"
: "${SIZING_DIR:=$BENCH_DIR/sizing}"
# uids and gids SIZING_UID_BASE .. +1999 (bench/run.sh's (f) uses 52000..,
# t/mass_users.t 61000..62999)
: "${SIZING_UID_BASE:=56000}"
# PeruidIdleTimeout of the measurement, seconds: long enough that no warm
# worker leaves before every vhost has been served
: "${SIZING_IDLE:=60}"
# vhosts served at once while filling
: "${SIZING_CONC:=4}"
# MiB of MemAvailable left to the rest of the machine: the warm workers of
# the largest size are bounded to fit, and the fill stops below it
: "${SIZING_RESERVE_MB:=6144}"
: "${SIZING_LOCK:=/tmp/integration.lock}"
: "${SIZING_PORT:=$((BENCH_PORT_BASE + 21))}"   # peruid; prefork: +1
SZ_MAX=2000
SZ_SUMMARY=$SIZING_DIR/summary.tsv
SZ_META=$SIZING_DIR/meta.tsv
SZ_PY=$BENCH_SRC/sizing.py
SZ_WWW=$SIZING_DIR/www
SZ_SO=$SIZING_DIR/mod_mpm_peruid.so

szlog() { printf '[sizing %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- settings: what docs/sizing.md recommends per size ------------------------

# size_settings N -> "MaxRequestWorkers MinSpare MaxSpare UserShare Warm"
# (Warm "auto": PeruidWarmWorkers left at its default, one per user plus
# MaxSpareServers within a quarter of the RAM; a number: set explicitly)
size_settings() {
    if [ "$1" -le 100 ]; then set -- "$1" "150 5 10 50" auto
    elif [ "$1" -le 1000 ]; then set -- "$1" "256 5 20 25" auto
    else set -- "$1" "400 10 20 25" $(( $1 + 20 ))
    fi
    echo "$2 ${SIZING_WARM:-$3}"
}

# the per-worker cost of the last size measured (mean worker PSS, page
# tables and the user's copy of OPcache's segment, all of it, kB: counts
# the copy's mapped pages twice), or 8 MiB (PeruidWarmWorkers' rule)
worker_cost_kb() {
    c=$(awk -F'\t' '$2 == "peruid" && $3 == "warm" && $4 == "worker" {
            w = $10 + $18 }
        $2 == "peruid" && $3 == "warm" && $4 == "OBJ-copy" { o = $6 }
        END { print (w ? w + o : 0) }' "$SZ_SUMMARY" 2>/dev/null || echo 0)
    [ "${c:-0}" -gt 0 ] && echo "$c" || echo 8192
}

# bound the warm workers of size $1 to what MemAvailable allows above the
# reserve, with a quarter more per worker for what the estimate misses
fit_warm() {    # n warm
    local avail cost fit
    avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
    cost=$(worker_cost_kb)
    fit=$(( (avail - SIZING_RESERVE_MB) * 1024 * 4 / 5 / cost ))
    [ "$fit" -lt 1 ] && fit=1
    szlog "n=$1: MemAvailable $avail MiB, reserve $SIZING_RESERVE_MB MiB, ~$cost kB a worker (+25 %): room for $fit workers" 
    if [ "$2" -gt "$fit" ]; then
        szlog "n=$1: PeruidWarmWorkers $2 does not fit; using $fit"
        printf '%s\twarm_bounded\t%s of %s\n' "$1" "$fit" "$2" >> "$SZ_META"
        echo "$fit"
    else
        echo "$2"
    fi
}

# --- users and docroots ---------------------------------------------------------

sz_user() { printf 'psz%04d' "$1"; }

make_users() {    # n
    declare -A have
    for u in $(getent passwd | cut -d: -f1); do have[$u]=1; done
    made=0; i=0
    while [ $i -lt "$1" ]; do
        u=$(sz_user $i); id=$((SIZING_UID_BASE + i))
        if [ -z "${have[$u]:-}" ]; then
            if getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; then
                die "uid/gid $id for $u is taken (set SIZING_UID_BASE)"
            fi
            groupadd -g "$id" "$u"
            useradd -M -N -u "$id" -g "$id" -d /nonexistent -s /usr/sbin/nologin "$u"
            made=$((made + 1))
        fi
        i=$((i + 1))
    done
    szlog "users: $made created, psz0000..$(sz_user $(($1 - 1))) present"
}

remove_users() {
    n=0
    for u in $(getent passwd | cut -d: -f1 | grep '^psz[0-9]\{4\}$' || true); do
        userdel "$u" 2>/dev/null || true; n=$((n + 1))
    done
    for g in $(getent group | cut -d: -f1 | grep '^psz[0-9]\{4\}$' || true); do
        groupdel "$g" 2>/dev/null || true
    done
    szlog "users: $n psz users removed"
}

# --- configs -------------------------------------------------------------------

# conf SERVER N PORT DIR: SERVER peruid or prefork, the same but for the MPM
# and AssignUserID (inside <IfModule mpm_peruid_module>)
conf() {
    local s=$1 n=$2 port=$3 d=$4 mrw mins maxs share warm i u
    read -r mrw mins maxs share warm <<< "$(size_settings "$n")"
    [ -n "${SZ_WARM:-}" ] && warm=$SZ_WARM
    cat <<CONF
# $d/$s.conf -- bench/sizing.sh, $n users.  Generated; do not edit.
ServerRoot $d
DefaultRuntimeDir $d/run-$s
PidFile $d/run-$s/httpd.pid
ErrorLog $d/error_log-$s
LogLevel warn
ServerName localhost
Listen 127.0.0.1:$port
User www-data
Group www-data
CONF
    case $s in
        peruid) echo "LoadModule mpm_peruid_module $SZ_SO";;
        prefork) echo "LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so";;
    esac
    cat <<CONF
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dir_module $MODS/mod_dir.so
# mod_php: /etc/php/8.2/apache2/php.ini, Debian's, OPcache on
LoadModule php_module $MODS/libphp8.2.so
<FilesMatch "\\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
TypesConfig /etc/mime.types
DirectoryIndex index.html
KeepAlive On
KeepAliveTimeout 5
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory $SZ_WWW>
    AllowOverride None
    Require all granted
</Directory>
DocumentRoot $SZ_WWW/default
StartServers 5
MinSpareServers $mins
MaxSpareServers $maxs
ServerLimit $mrw
MaxRequestWorkers $mrw
MaxConnectionsPerChild 0
<IfModule mpm_peruid_module>
    PeruidIdleTimeout $SIZING_IDLE
    PeruidMaxUserShare $share
CONF
    [ "$warm" = auto ] || echo "    PeruidWarmWorkers $warm"
    cat <<CONF
</IfModule>

<VirtualHost 127.0.0.1:$port>
    ServerName default.size
</VirtualHost>
CONF
    i=0
    while [ $i -lt "$n" ]; do
        printf -v u 'psz%04d' $i
        printf '<VirtualHost 127.0.0.1:%s>\n    ServerName %s.size\n    DocumentRoot %s/%s\n' \
            "$port" "$u" "$SZ_WWW" "$u"
        printf '    <IfModule mpm_peruid_module>\n        AssignUserID %s %s\n    </IfModule>\n</VirtualHost>\n' "$u" "$u"
        i=$((i + 1))
    done
}

# --- servers ---------------------------------------------------------------------

sz_pidfile() { echo "$1/run-$2/httpd.pid"; }

start_server() {    # dir server port
    local d=$1 s=$2 port=$3 k
    ss -Hltn "sport = :$port" | grep -q . && die "127.0.0.1:$port is taken"
    mkdir -p "$d/run-$s"
    apache2 -f "$d/$s.conf" -t >/dev/null 2>&1 \
        || { apache2 -f "$d/$s.conf" -t; die "$s: apache2 -t failed"; }
    apache2 -f "$d/$s.conf" -k start || die "$s: apache2 -k start failed"
    k=0
    until live_pid "$(sz_pidfile "$d" "$s")" >/dev/null; do
        [ $k -ge 100 ] && { tail "$d/error_log-$s" >&2; die "$s: no pid file"; }
        sleep 0.1; k=$((k + 1))
    done
    k=0
    until curl -s -m 5 -o /dev/null -H 'Host: default.size' "http://127.0.0.1:$port/index.html"; do
        [ $k -ge 50 ] && die "$s does not answer"
        sleep 0.2; k=$((k + 1))
    done
    szlog "$s started on 127.0.0.1:$port (pid $(cat "$(sz_pidfile "$d" "$s")"))"
}

# stop by the pid in the pid file: apache2 -k stop, then TERM, then KILL
stop_server() {    # dir server
    local p t0 k
    p=$(live_pid "$(sz_pidfile "$1" "$2")") || return 0
    t0=$(date +%s.%N)
    apache2 -f "$1/$2.conf" -k stop 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
    k=0
    while kill -0 "$p" 2>/dev/null; do
        if [ $k = 600 ]; then kill -KILL "$p" 2>/dev/null || true; fi
        [ $k -ge 650 ] && break
        sleep 0.1; k=$((k + 1))
    done
    szlog "$2 stopped (pid $p) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}

# --- one size, under the lock --------------------------------------------------

measure() {    # n
    n=$1; key=$n${SIZING_TAG:+-$SIZING_TAG}; d=$SIZING_DIR/n$key; port=$SIZING_PORT
    mkdir -p "$d"
    rm -f "$d"/procs-*.tsv "$d"/segments-*.tsv "$d"/fill-*.tsv "$d"/watch.tsv \
          "$d"/error_log-*
    # drop this size's rows of an earlier run
    if [ -f "$SZ_SUMMARY" ]; then
        awk -F'\t' -v n="$key" '$0 !~ "^" n "\t"' "$SZ_SUMMARY" > "$SZ_SUMMARY.new" || true
        mv "$SZ_SUMMARY.new" "$SZ_SUMMARY"
    fi
    read -r mrw mins maxs share warm <<< "$(size_settings "$n")"
    [ "$warm" = auto ] || SZ_WARM=$(fit_warm "$n" "$warm")
    conf peruid "$n" "$port" "$d" > "$d/peruid.conf"
    conf prefork "$n" $((port + 1)) "$d" > "$d/prefork.conf"
    trap 'stop_server "$d" peruid; stop_server "$d" prefork' EXIT
    trap 'exit 130' INT TERM
    szlog "n=$n: MaxRequestWorkers $mrw, MinSpareServers $mins, MaxSpareServers $maxs, PeruidMaxUserShare $share, PeruidWarmWorkers ${SZ_WARM:-auto}, PeruidIdleTimeout $SIZING_IDLE"

    start_server "$d" peruid "$port"
    m=$(live_pid "$(sz_pidfile "$d" peruid)")
    sleep 3
    snap "$key" "$m" peruid start "$d"
    t0=$(date +%s)
    python3 "$SZ_PY" fill "$port" "$n" "$SIZING_UID_BASE" peruid "$SIZING_CONC" \
        "$SIZING_RESERVE_MB" "$d/fill-peruid.tsv" || szlog "n=$n: the fill was not clean (above)"
    snap "$key" "$m" peruid warm "$d"
    # the workers every 2 s: at most 2 x PeruidIdleTimeout + 40 s after the
    # fill began, and done once unchanged for 12 s past the timeout
    left=$(( 2 * SIZING_IDLE + 40 - ($(date +%s) - t0) ))
    python3 "$SZ_PY" watch "$m" "$left" "$((SIZING_IDLE + 5))" "$d/watch.tsv"
    snap "$key" "$m" peruid idle "$d"
    # a graceful restart: a new generation, whose users start with empty
    # copies; measured 10 s later ("graceful")
    apache2 -f "$d/peruid.conf" -k graceful
    sleep 10
    snap "$key" "$m" peruid graceful "$d"
    stop_server "$d" peruid

    start_server "$d" prefork $((port + 1))
    m=$(live_pid "$(sz_pidfile "$d" prefork)")
    sleep 3
    snap "$key" "$m" prefork start "$d"
    python3 "$SZ_PY" fill $((port + 1)) "$n" "$SIZING_UID_BASE" prefork "$SIZING_CONC" \
        "$SIZING_RESERVE_MB" "$d/fill-prefork.tsv" || szlog "n=$n: the prefork fill was not clean (above)"
    snap "$key" "$m" prefork warm "$d"
    stop_server "$d" prefork
    trap - EXIT INT TERM
    for s in peruid prefork; do
        w=$(grep -c -E ':(warn|error|crit|alert|emerg)\]' "$d/error_log-$s" || true)
        printf '%s\terror_log_%s_lines\t%s\n' "$key" "$s" "$w" >> "$SZ_META"
    done
}

# snap N MASTER SERVER LABEL DIR: one snapshot, its summary lines prefixed
# with N in $SZ_SUMMARY
snap() {
    python3 "$SZ_PY" snap "$2" "$3" "$4" "$5"
    sed "s/^/$1\t/" "$5/summary.tsv" >> "$SZ_SUMMARY"
    rm -f "$5/summary.tsv"
}

# --- the run -----------------------------------------------------------------------

install_deps() {
    missing=
    for p in apache2 libapache2-mod-php8.2 curl python3; do
        st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    szlog "packages: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing
}

take_module() {
    so=${PERUID_SO:-}
    if [ -z "$so" ]; then
        sh "$BENCH_TOP/tests/build.sh"
        so=$BENCH_TOP/mpm_peruid/.libs/mod_mpm_peruid.so
    fi
    [ -f "$so" ] || die "no module at $so"
    cp "$so" "$SZ_SO.new" && mv -f "$SZ_SO.new" "$SZ_SO"
    szlog "module: $so"
}

meta() { printf 'all\t%s\t%s\n' "$1" "$2" >> "$SZ_META"; }

write_meta() {
    : > "$SZ_META"
    meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
    meta host "$(nproc) CPUs, $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
    meta loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
    meta apache2 "$(dpkg-query -W -f '${Version}' apache2)"
    meta php "$(dpkg-query -W -f '${Version}' libapache2-mod-php8.2)"
    meta opcache "$(grep -h -E '^[[:space:]]*opcache\.' /etc/php/8.2/apache2/php.ini /etc/php/8.2/apache2/conf.d/*opcache* 2>/dev/null | tr '\n' ' ')"
    meta module_sha256 "$(sha256sum "$SZ_SO" | cut -c1-16)"
    meta git_commit "$(git -C "$BENCH_TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
    meta limits "ulimit -n $(ulimit -n) (hard $(ulimit -Hn)), pid_max $(cat /proc/sys/kernel/pid_max), threads-max $(cat /proc/sys/kernel/threads-max), vm.max_map_count $(cat /proc/sys/vm/max_map_count)"
    meta settings "SIZING_IDLE $SIZING_IDLE, SIZING_CONC $SIZING_CONC, SIZING_RESERVE_MB $SIZING_RESERVE_MB"
}

# the summary: per size, server and snapshot, each role's count and mean
# RSS/PSS/USS, and the totals
report() {
    [ -f "$SZ_SUMMARY" ] || die "no data in $SZ_SUMMARY"
    awk -F'\t' '
    $4 == "TOTAL" { printf "%5s %-8s %-6s TOTAL %6d processes  RSS %8.1f MiB  PSS %7.1f MiB  page tables %6.1f MiB  MemAvailable %d MiB  Shmem %.1f MiB\n",
                    $1, $2, $3, $5, $6 / 1024, $7 / 1024, $8 / 1024, $9, $10 / 1024; next }
    $4 ~ /^OBJ-/ { printf "%5s %-8s %-6s %-9s %5d  allocated %d kB mean, %d kB max, %.1f MiB in all\n",
                   $1, $2, $3, $4, $5, $6, $7, $8 / 1024; next }
    { printf "%5s %-8s %-6s %-9s %5d  RSS %6d  PSS %6d  USS %6d kB (mean; PSS median %d, max %d)  page tables %d kB  fds max %d  maps %d\n",
      $1, $2, $3, $4, $5, $6, $10, $14, $11, $13, $18, $25, $26 }' "$SZ_SUMMARY"
    grep -v '^all' "$SZ_META" || true
}

cleanup() {
    for d in "$SIZING_DIR"/n*; do
        [ -d "$d" ] || continue
        stop_server "$d" peruid; stop_server "$d" prefork
    done
    [ "${SIZING_KEEP_USERS:-0}" = 1 ] || remove_users
}

[ "$(id -u)" = 0 ] || die "run as root"
case ${1:-all} in
    measure) measure "$2";;
    report) report;;
    clean) cleanup; rm -rf "$SIZING_DIR";;
    all|[0-9]*)
        [ "${1:-all}" = all ] || SIZING_USERS="$*"
        for n in $SIZING_USERS; do
            if [ "$n" -lt 1 ] || [ "$n" -gt $SZ_MAX ]; then die "sizes are 1 .. $SZ_MAX users"; fi
        done
        mkdir -p "$SIZING_DIR"; chmod 0755 "$SIZING_DIR"
        install_deps
        take_module
        write_meta
        trap cleanup EXIT
        trap 'exit 130' INT TERM
        for n in $SIZING_USERS; do
            make_users "$n"
            python3 "$SZ_PY" docroots "$SZ_WWW" "$SIZING_UID_BASE" "$n"
            szlog "n=$n: waiting for $SIZING_LOCK"
            flock -o "$SIZING_LOCK" "$0" measure "$n"
        done
        report;;
    *) echo "usage: $0 [N...]|report|clean" >&2; exit 2;;
esac
