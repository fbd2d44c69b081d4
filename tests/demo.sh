#!/bin/sh
# tests/demo.sh -- build the peruid MPM and start a demo httpd on
# 127.0.0.1:8080 with two vhosts under two demo users (run as root on
# Debian 12).  "tests/demo.sh stop" stops it again.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo=${PERUID_DEMO_DIR:-/var/tmp/peruid-demo}
port=${PERUID_DEMO_PORT:-8080}
pidfile="$demo/logs/httpd.pid"

stop_demo() {
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        apache2 -f "$demo/httpd.conf" -k stop
        echo "demo httpd (pid $(cat "$pidfile" 2>/dev/null || echo gone)) stopped"
    fi
}

if [ "${1:-}" = stop ]; then
    stop_demo
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "tests/demo.sh: run as root" >&2; exit 1; }
"$top/tests/deps.sh"
"$top/tests/build.sh"
stop_demo

for u in peruid-alice peruid-bob; do
    id "$u" >/dev/null 2>&1 || useradd --system --no-create-home \
        --shell /usr/sbin/nologin "$u"
done
mkdir -p "$demo/logs" "$demo/alice" "$demo/bob" "$demo/default"
for site in alice bob default; do
    cat > "$demo/$site/whoami.php" <<'PHP'
<?php
$u = posix_getpwuid(posix_geteuid());
printf("%s is served by uid %d (%s), pid %d\n",
       $_SERVER['HTTP_HOST'] ?? '-', posix_geteuid(), $u['name'],
       getmypid());
PHP
    echo "<h1>$site</h1>" > "$demo/$site/index.html"
done
echo "alice's secret" > "$demo/alice/secret.txt"
chown -R peruid-alice: "$demo/alice"
chown -R peruid-bob: "$demo/bob"
chmod 0600 "$demo/alice/secret.txt"
chmod 0711 "$demo/alice" "$demo/bob"

php=$(ls /usr/lib/apache2/modules/libphp*.so | head -n 1)
mods=/usr/lib/apache2/modules
cat > "$demo/httpd.conf" <<CONF
# peruid demo configuration, written by tests/demo.sh
ServerRoot $demo
LoadModule mpm_peruid_module $top/mpm_peruid/.libs/mod_mpm_peruid.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
LoadModule dir_module $mods/mod_dir.so
LoadModule php_module $php
TypesConfig /etc/mime.types
DirectoryIndex index.html
<FilesMatch "\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
User www-data
Group www-data
Listen 127.0.0.1:$port
ServerName localhost
PidFile $pidfile
ErrorLog $demo/logs/error_log
LogLevel info
StartServers 2
PeruidRouters 2
DocumentRoot $demo/default
<VirtualHost 127.0.0.1:$port>
    ServerName default.localhost
    DocumentRoot $demo/default
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName alice.localhost
    DocumentRoot $demo/alice
    AssignUserID peruid-alice peruid-alice
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName bob.localhost
    DocumentRoot $demo/bob
    AssignUserID peruid-bob peruid-bob
</VirtualHost>
CONF
apache2 -f "$demo/httpd.conf" -t
apache2 -f "$demo/httpd.conf" -k start
sleep 1
cat <<MSG

peruid demo httpd running on 127.0.0.1:$port (master pid $(cat "$pidfile")).
Each vhost answers as its own user:

  curl -H 'Host: alice.localhost' http://127.0.0.1:$port/whoami.php
  curl -H 'Host: bob.localhost'   http://127.0.0.1:$port/whoami.php
  curl -H 'Host: other.example'   http://127.0.0.1:$port/whoami.php

alice's 0600 file is served to alice's vhost only:

  curl -H 'Host: alice.localhost' http://127.0.0.1:$port/secret.txt

The processes and their users:  ps -o pid,user,group,args --ppid $(cat "$pidfile")
Error log: $demo/logs/error_log
Stop it:   $top/tests/demo.sh stop
MSG
