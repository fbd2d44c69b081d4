#!/bin/bash
# bench/setup.sh -- create the benchmark's users, docroots and server
# configurations under $BENCH_DIR (run as root; called by bench/run.sh).
#
#   bench/setup.sh users         create pub000..pub199, puc00..puc39 and,
#                                for (f), puf0000..puf1999
#   bench/setup.sh docroots      $BENCH_DIR/www/<user>/{index.html,hello.php}
#   bench/setup.sh configs       httpd.conf of every server + php-fpm conf
#   bench/setup.sh all           the three above
#   bench/setup.sh restart-conf SERVER N   (g)'s httpd.conf of prefork-rs or
#                                peruid-rs with N vhosts (bench/run.sh)
#   bench/setup.sh remove-users  delete the bench users (and their groups)
#
# The four servers share everything but the MPM and the way PHP runs:
#   A prefork  mpm_prefork + mod_php, everything as www-data
#   B itk      mpm_prefork + mpm_itk + mod_php, AssignUserID per vhost
#   C fpm      mpm_event + mod_proxy_fcgi, one php-fpm pool per user
#   D peruid   the project's MPM + mod_php, AssignUserID per vhost
# and for (b2), (b3) and (f):
#   D2 peruid-limits  D with prefork's limits of the issue (8/8/32/256/256)
#   A3 prefork-64     A with MaxRequestWorkers and ServerLimit 64
#   D3 peruid-64      D2 with MaxRequestWorkers and ServerLimit 64 (its
#                     warm workers outnumber them: the routers' gate works)
#   F  prefork-2k, peruid-2k  2,000 vhosts under 2,000 users, one config
#                     for both but for the MPM (AssignUserID inside
#                     <IfModule mpm_peruid_module>)
#   G  prefork-rs, peruid-rs  (g): N vhosts under N of F's users, mod_php,
#                     one config for both but for the MPM, as F
set -eu
. "$(dirname "$0")/lib.sh"

all_users() {
    i=0; while [ $i -lt $N_SITES ]; do site_user $i; echo; i=$((i + 1)); done
    i=0; while [ $i -lt $N_COLD ]; do cold_user $i; echo; i=$((i + 1)); done
}

# the users of (f), one a line as "name uid": fixed uids (and gids) from
# BENCH_F_UID_BASE, because 2,000 more do not fit in the system range
# (SYS_UID_MAX 999); t/mass_users.t needs 61000..62999 unused
start_users() {
    i=0
    while [ $i -lt $N_START ]; do
        printf 'puf%04d %d\n' $i $((BENCH_F_UID_BASE + i))
        i=$((i + 1))
    done
}

# names of the users and groups that exist, one a line (one getent each,
# not one per user)
existing() { getent "$1" | cut -d: -f1; }

# run a command, keeping its "greater than SYS_UID_MAX" warnings quiet
quiet() {
    out=$("$@" 2>&1) || die "$*: $out"
    [ -z "$out" ] || printf '%s\n' "$out" | grep -v 'is greater than SYS_[UG]ID_MAX' >&2 || true
}

make_users() {
    n=0
    declare -A have
    for u in $(existing passwd); do have[$u]=1; done
    for u in $(all_users); do
        [ -n "${have[$u]:-}" ] && continue
        useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
        n=$((n + 1))
    done
    # (f): a group of its own per user, as useradd makes for the others
    while read -r u id; do
        [ -n "${have[$u]:-}" ] && continue
        if getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; then
            die "uid/gid $id for $u is taken (set BENCH_F_UID_BASE)"
        fi
        # --system with an id above SYS_UID_MAX: they warn for each user
        quiet groupadd --system -g "$id" "$u"
        quiet useradd --system -u "$id" -g "$id" --no-create-home --shell /usr/sbin/nologin "$u"
        n=$((n + 1))
    done < <(start_users)
    log "users: $n created, $((N_SITES + N_COLD + N_START)) present"
}

remove_users() {
    n=0
    declare -A have
    for u in $(existing passwd); do have[$u]=1; done
    names="$(all_users) $(start_users | cut -d' ' -f1)"
    for u in $names; do
        [ -n "${have[$u]:-}" ] || continue
        userdel "$u" 2>/dev/null || true
        n=$((n + 1))
    done
    # userdel removes the user's own group; one left behind goes too
    have=()
    for g in $(existing group); do have[$g]=1; done
    for u in $names; do
        [ -n "${have[$u]:-}" ] && { groupdel "$u" 2>/dev/null || true; }
    done
    log "users: $n removed"
}

# 1024 bytes exactly: a small HTML page padded with a comment
index_html() {
    head='<!DOCTYPE html><html><head><title>'"$1"'</title></head><body><p>'"$1"'</p><!--'
    tail='--></body></html>'
    pad=$((1023 - ${#head} - ${#tail}))
    printf '%s%s%s\n' "$head" "$(head -c "$pad" /dev/zero | tr '\0' x)" "$tail"
}

make_docroots() {
    mkdir -p "$WWW/default"
    chmod 0755 "$BENCH_DIR" "$WWW" "$WWW/default"
    index_html default > "$WWW/default/index.html"
    printf '<?php echo "hello ", posix_geteuid(), "\\n";\n' > "$WWW/default/hello.php"
    chmod 0644 "$WWW/default/index.html" "$WWW/default/hello.php"
    for u in $(all_users); do
        d=$WWW/$u
        mkdir -p "$d"
        index_html "$u" > "$d/index.html"
        printf '<?php echo "hello ", posix_geteuid(), "\\n";\n' > "$d/hello.php"
        chmod 0644 "$d/index.html" "$d/hello.php"
        chown -R "$u:$u" "$d"
        chmod 0711 "$d"
    done
    sz=$(stat -c %s "$WWW/pub000/index.html")
    [ "$sz" = 1024 ] || die "index.html is $sz bytes, not 1024"
    log "docroots: $WWW/{default,pub*,puc*}"
}

# --- configuration ---------------------------------------------------------

# the part every server has: paths, logging, keep-alive, access rules
conf_common() {    # server
    sd=$(server_dir "$1"); port=$(server_port "$1")
    cat <<CONF
# $sd/httpd.conf -- server $(server_letter "$1") ($1) of the peruid benchmark.
# Generated by bench/setup.sh; rerun "bench/run.sh" to regenerate.
ServerRoot $sd
DefaultRuntimeDir $sd/run
PidFile $sd/run/httpd.pid
ErrorLog $sd/logs/error_log
LogLevel warn
# no access log (mod_log_config is compiled in; no CustomLog is set)
ServerName localhost
Listen 127.0.0.1:$port
User www-data
Group www-data
CONF
}

conf_modules_tail() {
    cat <<CONF
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dir_module $MODS/mod_dir.so
TypesConfig /etc/mime.types
DirectoryIndex index.html
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
Timeout 60
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory $WWW>
    AllowOverride None
    Require all granted
</Directory>
DocumentRoot $WWW/default
CONF
}

conf_modphp() {
    cat <<CONF
# mod_php (reads /etc/php/8.2/apache2/php.ini, opcache on as Debian ships it)
LoadModule php_module $MODS/libphp8.2.so
<FilesMatch "\\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
CONF
}

# MaxSpareServers: more than the connections of a round (default 16 + 4),
# at least 10.  With fewer, prefork (and itk on it) reaps the children a
# round needs in the pause before its next round and then starts the round
# short of children (it forks at most 1, 2, 4, 8 ... per second, so some
# connections wait seconds), and peruid forks and reaps workers all through
# a round of new connections.  peruid reads it per user pool.
MAX_SPARE=$((BENCH_CONNS + 4))
[ $MAX_SPARE -lt 10 ] && MAX_SPARE=10

# prefork's limits; itk and peruid use the same numbers.  $1: its
# MaxRequestWorkers and ServerLimit (default 256)
conf_prefork_limits() {    # [workers]
    cat <<CONF
StartServers 8
MinSpareServers 5
MaxSpareServers $MAX_SPARE
ServerLimit ${1:-256}
MaxRequestWorkers ${1:-256}
MaxConnectionsPerChild 0
CONF
}

# vhosts: a default first one, s000..s199, c00..c39.  $2 says what each
# user vhost gets: "none", "assign" (AssignUserID) or "fpm" (its own pool)
conf_vhosts() {    # server mode
    port=$(server_port "$1"); mode=$2; sock=$(server_dir fpm)/sock
    cat <<CONF

<VirtualHost 127.0.0.1:$port>
    ServerName default.bench
    DocumentRoot $WWW/default
</VirtualHost>
CONF
    i=0
    while [ $i -lt $((N_SITES + N_COLD)) ]; do
        # printf -v, not $(site_user ...): no fork per vhost
        if [ $i -lt $N_SITES ]; then
            printf -v u 'pub%03d' $i; printf -v h 's%03d.bench' $i
        else
            printf -v u 'puc%02d' $((i - N_SITES)); printf -v h 'c%02d.cold' $((i - N_SITES))
        fi
        printf '<VirtualHost 127.0.0.1:%s>\n    ServerName %s\n    DocumentRoot %s\n' \
            "$port" "$h" "$WWW/$u"
        case $mode in
            assign) printf '    AssignUserID %s %s\n' "$u" "$u";;
            fpm) printf '    <FilesMatch "\\.php$">\n        SetHandler "proxy:unix:%s/%s.sock|fcgi://localhost"\n    </FilesMatch>\n' "$sock" "$u";;
        esac
        printf '</VirtualHost>\n'
        i=$((i + 1))
    done
}

# A, and A3 (scenario b3): A with MaxRequestWorkers and ServerLimit
# $B3_WORKERS
conf_prefork_server() {    # server workers
    conf_common "$1"
    echo "LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so"
    conf_modules_tail
    conf_modphp
    conf_prefork_limits "$2"
    conf_vhosts "$1" none
}
conf_prefork() { conf_prefork_server prefork 256; }
conf_prefork_64() { conf_prefork_server prefork-64 "$B3_WORKERS"; }

conf_itk() {
    conf_common itk
    echo "LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so"
    echo "LoadModule mpm_itk_module $MODS/mpm_itk.so"
    conf_modules_tail
    conf_modphp
    conf_prefork_limits
    conf_vhosts itk assign
}

conf_fpm() {
    conf_common fpm
    echo "LoadModule mpm_event_module $MODS/mod_mpm_event.so"
    conf_modules_tail
    cat <<CONF
LoadModule proxy_module $MODS/mod_proxy.so
LoadModule proxy_fcgi_module $MODS/mod_proxy_fcgi.so
# event: 16 threads per process, at most 256 at once (as prefork's 256)
StartServers 2
ServerLimit 16
ThreadsPerChild 16
MaxRequestWorkers 256
MinSpareThreads 16
MaxSpareThreads 64
MaxConnectionsPerChild 0
CONF
    conf_vhosts fpm fpm
}

conf_peruid() {
    conf_common peruid
    echo "LoadModule mpm_peruid_module $BENCH_DIR/mod_mpm_peruid.so"
    conf_modules_tail
    conf_modphp
    cat <<CONF
# the documented tuning (docs/directives.md, "Sizing"): MinSpareServers
# and MaxSpareServers count for the whole server, as under prefork
# (MinSpareServers 0: no spares for recently busy users, so a user's first
# connection meets no worker of its own, which the cold-start test
# measures; MaxSpareServers above the concurrency of the busiest site).
# MaxRequestWorkers and ServerLimit are prefork's (A's): they bound the
# busy workers.  The warm worker each user keeps comes on top, within
# PeruidWarmWorkers, left at its default (one per user plus
# MaxSpareServers, within a quarter of the RAM).  The concurrency is the
# same as the others'; what the idle workers cost is reported under (c).
# PeruidRouters is left at its default (one per four CPUs, at least one).
StartServers 8
MinSpareServers 0
MaxSpareServers $MAX_SPARE
ServerLimit 256
MaxRequestWorkers 256
# two workers forked ahead for users without one (cold start, (e))
PeruidPreforkedWorkers 2
MaxConnectionsPerChild 0
# PeruidIdleTimeout: default (30 s)
CONF
    conf_vhosts peruid assign
}

# D2 (scenario b2): D with prefork's limits instead of its tuning, the
# numbers of the issue's measurement (peruid "given the same limits as the
# prefork it replaces"); PeruidWarmWorkers at its default.  D3 (scenario
# b3): D2 with MaxRequestWorkers and ServerLimit $B3_WORKERS; its default
# PeruidWarmWorkers (one per user plus MaxSpareServers, 273 here) keeps
# more idle workers than that, so the routers' gate holds connections
# whenever $B3_WORKERS requests are in flight
conf_peruid_limits_server() {    # server workers
    conf_common "$1"
    echo "LoadModule mpm_peruid_module $BENCH_DIR/mod_mpm_peruid.so"
    conf_modules_tail
    conf_modphp
    cat <<CONF
StartServers 8
MinSpareServers 8
MaxSpareServers 32
ServerLimit $2
MaxRequestWorkers $2
MaxConnectionsPerChild 0
CONF
    conf_vhosts "$1" assign
}
conf_peruid_limits() { conf_peruid_limits_server peruid-limits 256; }
conf_peruid_64() { conf_peruid_limits_server peruid-64 "$B3_WORKERS"; }

# F (scenario f): 2,000 vhosts under 2,000 users, each with AssignUserID
# inside <IfModule mpm_peruid_module>, so that prefork reads the very same
# vhosts; Debian's stock limits; no mod_php (what is measured is the MPM's
# share of the start).  The two configs differ in the MPM's LoadModule and
# the port only.
conf_start() {    # server
    conf_common "$1"
    case $1 in
        prefork-2k) echo "LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so";;
        peruid-2k) echo "LoadModule mpm_peruid_module $BENCH_DIR/mod_mpm_peruid.so";;
    esac
    conf_modules_tail
    cat <<CONF
StartServers 5
MinSpareServers 5
MaxSpareServers 10
MaxRequestWorkers 150

<VirtualHost 127.0.0.1:$(server_port "$1")>
    ServerName default.bench
</VirtualHost>
CONF
    port=$(server_port "$1")
    i=0
    while [ $i -lt $N_START ]; do
        printf '<VirtualHost 127.0.0.1:%s>\n    ServerName f%04d.start\n' "$port" $i
        printf '    <IfModule mpm_peruid_module>\n        AssignUserID puf%04d puf%04d\n' $i $i
        printf '    </IfModule>\n</VirtualHost>\n'
        i=$((i + 1))
    done
}
conf_prefork_2k() { conf_start prefork-2k; }
conf_peruid_2k() { conf_start peruid-2k; }

# G (scenario g, restarts and stops): $2 vhosts g000.restart .. under
# puf0000 .. (F's users), each with AssignUserID inside <IfModule
# mpm_peruid_module>, all on the default docroot (hello.php); mod_php; the
# limits of the issue's measurement (MinSpareServers 4).  The two configs
# differ in the MPM's LoadModule and the port only.
conf_restart() {    # server users
    conf_common "$1"
    case $1 in
        prefork-rs) echo "LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so";;
        peruid-rs) echo "LoadModule mpm_peruid_module $BENCH_DIR/mod_mpm_peruid.so";;
    esac
    conf_modules_tail
    conf_modphp
    port=$(server_port "$1")
    cat <<CONF
StartServers 5
MinSpareServers 4
MaxSpareServers 10
ServerLimit 256
MaxRequestWorkers 256

<VirtualHost 127.0.0.1:$port>
    ServerName default.bench
</VirtualHost>
CONF
    i=0
    while [ $i -lt "$2" ]; do
        printf "<VirtualHost 127.0.0.1:%s>\n    ServerName $G_HOST_FORMAT\n" "$port" $i
        printf '    <IfModule mpm_peruid_module>\n        AssignUserID puf%04d puf%04d\n' $i $i
        printf '    </IfModule>\n</VirtualHost>\n'
        i=$((i + 1))
    done
}
g_users_first() { set -- $BENCH_G_USERS; echo "$1"; }
conf_prefork_rs() { conf_restart prefork-rs "$(g_users_first)"; }
conf_peruid_rs() { conf_restart peruid-rs "$(g_users_first)"; }

# php-fpm for server C: one pool per user.  s000 (the site of scenario a)
# gets pm = static with 8 children: a busy site gets a static pool, and the
# other servers keep warm processes for it too (prefork's children, peruid's
# workers after the warm-up).  Every other pool: ondemand, at most 8.
conf_php_fpm() {
    fd=$(server_dir fpm)
    cat <<CONF
; $fd/php-fpm.conf -- php-fpm of server C (fpm) of the peruid benchmark.
; Generated by bench/setup.sh.  Reads /etc/php/8.2/fpm/php.ini.
[global]
pid = $fd/run/php-fpm.pid
error_log = $fd/logs/php-fpm.log
log_level = warning
process.max = 0
CONF
    i=0
    while [ $i -lt $((N_SITES + N_COLD)) ]; do
        if [ $i -lt $N_SITES ]; then printf -v u 'pub%03d' $i; else printf -v u 'puc%02d' $((i - N_SITES)); fi
        cat <<CONF

[$u]
user = $u
group = $u
listen = $fd/sock/$u.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm.max_children = 8
CONF
        if [ $i = 0 ]; then
            echo "pm = static"
        else
            printf 'pm = ondemand\npm.process_idle_timeout = 60s\n'
        fi
        i=$((i + 1))
    done
}

make_configs() {
    for s in $ALL_SERVERS; do
        sd=$(server_dir "$s")
        mkdir -p "$sd/logs" "$sd/run"
        "conf_${s//-/_}" > "$sd/httpd.conf"
    done
    fd=$(server_dir fpm)
    mkdir -p "$fd/sock"
    chmod 0755 "$fd/sock"
    conf_php_fpm > "$fd/php-fpm.conf"
    log "configs: $BENCH_DIR/*-*/httpd.conf, $fd/php-fpm.conf"
}

case ${1:-all} in
    users) make_users;;
    docroots) make_docroots;;
    configs) make_configs;;
    restart-conf)
        [ $# = 3 ] && [ "$3" -le "$N_START" ] || die "usage: $0 restart-conf SERVER N (N <= $N_START)"
        sd=$(server_dir "$2")
        mkdir -p "$sd/logs" "$sd/run"
        conf_restart "$2" "$3" > "$sd/httpd.conf";;
    all) make_users; make_docroots; make_configs;;
    remove-users) remove_users;;
    *) echo "usage: $0 users|docroots|configs|all|remove-users" >&2; exit 2;;
esac
