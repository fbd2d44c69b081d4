#!/bin/sh
# tests/intree.sh -- the tested recipe for building the peruid MPM inside
# httpd's source tree (README, "In-tree build").  Run as root on Debian 12:
#
#   tests/intree.sh [--shared] [BUILD_DIR]
#       installs what it needs with apt-get, takes httpd's source from
#       Debian's apache2 source package, copies the MPM in as
#       server/mpm/peruid/, builds httpd with --with-mpm=peruid (--shared:
#       also --enable-mpms-shared=peruid), starts it on 127.0.0.1 with two
#       virtual hosts under two users and checks that each is served as its
#       user.  Exits non-zero on any failure.
#       Without BUILD_DIR the built tree is kept in the cache directory
#       (below), one per mode (linked in, --shared), under a key: httpd's
#       version and a hash of what buildconf and configure read or are
#       told (this script, config.m4, config3.m4, mpm_peruid/Makefile.in,
#       the versions of the build packages).  A later run with the same
#       key copies the MPM's sources into that tree again and runs make,
#       which compiles every file of the MPM and links it (a broken source
#       still fails the run); any other key builds from scratch.  With
#       BUILD_DIR, always from scratch, in BUILD_DIR.
#
#   tests/intree.sh --copy-only HTTPD_SRC
#       only copies the MPM's sources into the httpd 2.4 source tree
#       HTTPD_SRC; then build as README says.
#
# The downloaded source tarball and the built trees are kept in
# /var/cache/peruid-intree (PERUID_INTREE_CACHE) for the next run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PERUID_INTREE_CACHE:-/var/cache/peruid-intree}
users="peruid_ia peruid_ib"
stamp=/var/lib/apt/periodic/peruid-deps-updated   # shared with tests/deps.sh

# The MPM's sources, build files and public header into an httpd tree.
copy_sources() {
    [ -f "$1/server/mpm/prefork/prefork.c" ] || {
        echo "intree.sh: $1 does not look like an httpd 2.4 source tree" >&2
        exit 1
    }
    mkdir -p "$1/server/mpm/peruid"
    cp "$top"/mpm_peruid/*.c "$top"/mpm_peruid/*.h \
       "$top"/mpm_peruid/Makefile.in "$top"/include/mpm_peruid.h \
       "$top"/config.m4 "$top"/config3.m4 "$1/server/mpm/peruid/"
    # also where other modules built in the tree look for it
    cp "$top"/include/mpm_peruid.h "$1/include/"
}

if [ "${1:-}" = --copy-only ]; then
    copy_sources "${2:?usage: tests/intree.sh --copy-only HTTPD_SRC}"
    echo "copied the peruid MPM to $2/server/mpm/peruid; see README," \
         "\"In-tree build\", for buildconf and configure"
    exit 0
fi
shared=no
if [ "${1:-}" = --shared ]; then
    shared=yes
    shift
fi
[ "$(id -u)" = 0 ] || { echo "tests/intree.sh: run as root" >&2; exit 1; }

passed=0
failed=0
pid=                 # the httpd master this script started, once running
site=                # its configuration, logs and documents
ok() {
    passed=$((passed + 1))
    echo "ok: $*"
}
not_ok() {
    failed=$((failed + 1))
    echo "NOT OK: $*"
}
# A step the rest cannot go on without failed: show the end of its log.
die() {
    echo "intree: $1" >&2
    [ -z "${2:-}" ] || tail -n 30 "$2" >&2
    failed=$((failed + 1))
    exit 1
}
# Stops only the httpd this script started, by the pid from its pid file,
# and waits until the master is gone (it stops its children first).
stop_httpd() {
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.2
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "intree: httpd $pid still running after 20 s" >&2
        return 1
    fi
    pid=
}
finish() {
    rc=$?
    trap - EXIT
    stop_httpd || rc=1
    [ $rc = 0 ] || [ $failed -gt 0 ] || failed=1
    echo "intree: $passed passed, $failed failed"
    if [ $failed = 0 ] && [ $rc = 0 ]; then
        [ -z "$site" ] || rm -rf "$site"
        exit 0
    fi
    echo "intree: build in ${src:-$build}, httpd files in ${site:--}" >&2
    exit 1
}
src=
build=
if [ $# -gt 0 ]; then
    mkdir -p "$1"
    build=$(cd "$1" && pwd)
fi
trap finish EXIT
trap 'exit 1' INT TERM HUP

# 1. What the build and the checks need.  The deb-src entry lets apt-get
# fetch source packages; Debian 12 images ship binary entries only.
export DEBIAN_FRONTEND=noninteractive
if ! grep -qsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types:.*/Types: deb-src/' \
            /etc/apt/sources.list.d/debian.sources \
            > /etc/apt/sources.list.d/peruid-intree-src.sources
    else
        sed -n 's/^deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
            > /etc/apt/sources.list.d/peruid-intree-src.list
    fi
    rm -f "$stamp"                  # the source lists are not there yet
fi
if [ ! -f "$stamp" ]; then
    apt-get update
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# autoconf, automake: buildconf (automake for config.guess and config.sub);
# libapr1-dev, libaprutil1-dev: httpd's APR, and APR's libtool and m4 files
# for buildconf --with-apr=apr-1-config; libpcre2-dev: httpd's regexes.
apt-get install -y --no-install-recommends \
    build-essential autoconf automake \
    libapr1-dev libaprutil1-dev libpcre2-dev \
    libcap-dev libseccomp-dev libssl-dev \
    curl passwd

# 2. httpd's source: the upstream tarball of Debian's apache2 source
# package (the .orig.tar.gz is httpd's release tarball as is; Debian's
# patches are left out, one of them wants a define only debian/rules
# sets).  The newest listed version may be gone from the mirror, so try the
# others, newest first.
tarball=$(ls "$cache"/apache2_*.orig.tar.gz 2>/dev/null | sort -V \
          | tail -n 1)
if [ -z "$tarball" ]; then
    mkdir -p "$cache"
    dl=$(mktemp -d "$cache/download.XXXXXX")
    for v in $(apt-cache showsrc apache2 | sed -n 's/^Version: //p' \
               | sort -rVu); do
        # APT::Sandbox::User=root: the download directory is root's; apt
        # would download as root anyway, with a warning.
        if (cd "$dl" && apt-get source --download-only \
                -o APT::Sandbox::User=root "apache2=$v") >"$dl.log" 2>&1 \
            && [ -f "$dl"/apache2_*.orig.tar.gz ]; then
            mv "$dl"/apache2_*.orig.tar.gz "$cache/"
            tarball=$(ls "$cache"/apache2_*.orig.tar.gz)
            echo "intree: downloaded the apache2 $v source package"
            break
        fi
        echo "intree: apache2 $v source did not download, trying the next"
        rm -f "$dl"/*
    done
    rm -rf "$dl" "$dl.log"
    [ -n "$tarball" ] || die "no apache2 source package downloaded"
fi
version=${tarball##*/apache2_}
version=${version%.orig.tar.gz}

# What buildconf and configure depend on, as a short hash: a tree built
# from the same inputs needs only make once our sources are in again.
recipe_key() {
    {
        echo "$version $shared"
        cat "$top/tests/intree.sh" "$top/config.m4" "$top/config3.m4" \
            "$top/mpm_peruid/Makefile.in"
        dpkg-query -W build-essential autoconf automake libapr1-dev \
            libaprutil1-dev libpcre2-dev libcap-dev libseccomp-dev libssl-dev 2>&1
    } | sha256sum | cut -c1-16
}
# The configure flags (also for the messages below)
set -- --with-mpm=peruid
[ $shared = no ] || set -- "$@" --enable-mpms-shared=peruid
product=$([ $shared = yes ] && echo server/mpm/peruid/.libs/mod_mpm_peruid.so \
          || echo httpd)

fresh=yes
if [ -z "$build" ]; then
    # One run at a time uses the cached trees (fd 9 is closed for httpd).
    mkdir -p "$cache"
    exec 9>"$cache/tree.lock"
    flock 9
    mode=$([ $shared = yes ] && echo shared || echo static)
    build="$cache/tree-$mode-$(recipe_key)"
    src="$build/httpd-$version"
    if [ -f "$build/built" ] && [ -f "$src/$product" ]; then
        fresh=no
    else
        # trees of this mode under other keys, or one half built
        rm -rf "$cache/tree-$mode-"*
        mkdir -p "$build"
    fi
else
    src="$build/httpd-$version"
    # A tree from an earlier run (it has our MPM in it) is replaced;
    # anything else of that name is not ours to remove.
    if [ -e "$src" ]; then
        [ -d "$src/server/mpm/peruid" ] \
            || die "$src exists and is not from tests/intree.sh"
        rm -rf "$src"
    fi
fi

# 3. Build: the MPM's sources in, then buildconf (it finds APR's build
# files through apr-1-config; with an installed APR there is no
# srclib/apr), configure with peruid as the MPM and few modules, make.
started=$(date +%s)
if [ $fresh = yes ]; then
    mkdir "$src"
    tar -xzf "$tarball" -C "$src" --strip-components=1
    copy_sources "$src"
    cd "$src"
    ./buildconf --with-apr=/usr/bin/apr-1-config \
        --with-apr-util=/usr/bin/apu-1-config >"$build/buildconf.log" 2>&1 \
        || die "buildconf failed" "$build/buildconf.log"
    # --enable-modules=none, then only what the checks use; mod_unixd
    # (User, Group) is not named: config3.m4 must ask for it.
    ./configure "$@" \
        --with-apr=/usr/bin/apr-1-config --with-apr-util=/usr/bin/apu-1-config \
        --with-pcre=/usr/bin/pcre2-config \
        --enable-modules=none \
        --enable-mods-static="authz_core mime dir cgi" \
        >"$build/configure.log" 2>&1 \
        || die "configure failed" "$build/configure.log"
    make -j2 >"$build/make.log" 2>&1 || die "make failed" "$build/make.log"
    touch "$build/built"
    echo "intree: built $src/httpd ($*) in $(($(date +%s) - started)) s"
else
    # The cached tree: our sources replace the ones it was last built
    # with (a file we no longer have must not linger), then make.
    rm -f "$src"/server/mpm/peruid/*.c "$src"/server/mpm/peruid/*.h \
          "$src/include/mpm_peruid.h"
    touch "$build/copied"
    copy_sources "$src"
    cd "$src"
    make -j2 >"$build/make.log" 2>&1 || die "make failed" "$build/make.log"
    [ -n "$(find "$product" -newer "$build/copied")" ] \
        || die "make did not rebuild $src/$product"
    echo "intree: rebuilt the MPM in the cached $src ($*) in" \
         "$(($(date +%s) - started)) s"
fi

# 4. Two name-based virtual hosts, each under its own user.  Each holds a
# file only its user may read (0600) and a CGI program only its user may
# run (0700) that prints the uid it runs as; a's other.txt is a link to b's
# private file, which a's user must not be able to read.
for u in $users; do
    id "$u" >/dev/null 2>&1 || useradd --system --no-create-home \
        --shell /usr/sbin/nologin "$u"
done
site=$(mktemp -d /tmp/peruid-intree-site.XXXXXX)
chmod 0711 "$site"          # the vhost users must get to their documents
mkdir "$site/logs" "$site/a" "$site/b"
for h in a b; do
    u=peruid_i$h
    echo "private to $u" > "$site/$h/private.txt"
    printf '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\nid -u\n' \
        > "$site/$h/id.cgi"
    chown -R "$u:" "$site/$h"
    chmod 0711 "$site/$h"
    chmod 0600 "$site/$h/private.txt"
    chmod 0700 "$site/$h/id.cgi"
done
ln -s ../b/private.txt "$site/a/other.txt"
: > "$site/mime.types"      # TypesConfig must exist; AddType below

# A port nothing listens on (state 0A in /proc/net/tcp*), from a range
# apart from the kernel's ephemeral ports; taken again if httpd cannot
# bind it after all.
free_port() {
    while :; do
        p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
        hex=$(printf '%04X' "$p")
        grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " \
            /proc/net/tcp /proc/net/tcp6 2>/dev/null || break
    done
    echo "$p"
}
write_conf() {
    {
        if [ $shared = yes ]; then
            echo "LoadModule mpm_peruid_module" \
                 "$src/server/mpm/peruid/.libs/mod_mpm_peruid.so"
        fi
        cat <<CONF
# written by tests/intree.sh
ServerRoot $site
ServerName localhost
Listen 127.0.0.1:$port
User nobody
Group nogroup
PidFile $site/logs/httpd.pid
ErrorLog $site/logs/error_log
LogLevel info
TypesConfig $site/mime.types
AddType text/plain .txt
AddHandler cgi-script .cgi
DirectoryIndex index.html
<Directory $site>
    Options +ExecCGI +FollowSymLinks
    Require all granted
</Directory>
<VirtualHost 127.0.0.1:$port>
    ServerName a.intree.test
    DocumentRoot $site/a
    AssignUserID peruid_ia peruid_ia
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName b.intree.test
    DocumentRoot $site/b
    AssignUserID peruid_ib peruid_ib
</VirtualHost>
CONF
    } > "$site/httpd.conf"
}

for try in 1 2 3; do
    port=$(free_port)
    write_conf
    "$src/httpd" -d "$site" -f "$site/httpd.conf" -t >"$site/logs/t.log" 2>&1 \
        || die "httpd -t refused the configuration" "$site/logs/t.log"
    "$src/httpd" -d "$site" -f "$site/httpd.conf" -k start \
        >"$site/logs/start.log" 2>&1 9>&- || true
    # the master writes its pid file once its listener is bound
    i=0
    while [ ! -s "$site/logs/httpd.pid" ] && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if [ -s "$site/logs/httpd.pid" ]; then
        pid=$(cat "$site/logs/httpd.pid")
        break
    fi
    grep -qs 'Address already in use' "$site/logs/error_log" \
        "$site/logs/start.log" || break
done
[ -n "$pid" ] || die "httpd did not start" "$site/logs/error_log"
echo "intree: httpd $pid listening on 127.0.0.1:$port"

# -V reads the configuration, which loads the MPM when it is shared.
if "$src/httpd" -d "$site" -f "$site/httpd.conf" -V \
        | grep -q '^Server MPM: *peruid$' \
        && "$src/httpd" -l | grep -q 'mod_unixd\.c'; then
    ok "httpd runs the peruid MPM, mod_unixd built in"
else
    not_ok "httpd -V does not say peruid, or -l lacks mod_unixd"
fi

# GET path from vhost host: the body, or the status code for an error.
get() {
    curl -sS --max-time 10 -o "$site/body" -w '%{http_code}' \
        -H "Host: $1.intree.test" "http://127.0.0.1:$port/$2" \
        >"$site/status" 2>"$site/curl.err" || true
    if [ "$(cat "$site/status")" = 200 ]; then
        cat "$site/body"
    else
        err=$(cat "$site/curl.err")
        echo "status $(cat "$site/status")${err:+ ($err)}"
    fi
}
for h in a b; do
    u=peruid_i$h
    got=$(get $h private.txt)
    if [ "$got" = "private to $u" ]; then
        ok "$h serves its $u-only (0600) file"
    else
        not_ok "$h/private.txt: expected 'private to $u', got '$got'"
    fi
    got=$(get $h id.cgi)
    if [ "$got" = "$(id -u "$u")" ]; then
        ok "$h runs its CGI program as $u (uid $got)"
    else
        not_ok "$h/id.cgi: expected uid $(id -u "$u"), got '$got'"
    fi
done
got=$(get a other.txt)
if [ "$got" = "status 403" ]; then
    ok "a cannot read b's file (403)"
else
    not_ok "a/other.txt (b's private file): expected status 403, got '$got'"
fi

# 5. Stop it; no process of the vhost users may be left behind.
stop_httpd || die "httpd $pid did not stop"
left=
for f in /proc/[0-9]*/status; do
    uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "$f" 2>/dev/null) \
        || continue
    for u in $users; do
        [ "$uid" != "$(id -u "$u")" ] || left="$left ${f#/proc/}"
    done
done
if [ -z "$left" ]; then
    ok "httpd stopped, no process of $users left"
else
    not_ok "processes of $users left after the stop:$left"
fi
[ $failed = 0 ]
