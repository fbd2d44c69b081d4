#!/bin/sh
# tests/package.sh -- the Debian package (debian/), on this machine, as
# root on Debian 12:
#
#   1. builds libapache2-mpm-peruid with "dpkg-buildpackage -us -uc -b" in
#      a copy of this tree (a scratch directory, not the checkout) and runs
#      lintian on the .changes: any error (E:) fails; "make install" and
#      "make uninstall" in a DESTDIR, with the tree it built;
#   2. makes this machine a shared host on prefork with PHP
#      (libapache2-mod-php8.2 installed and enabled; mpm_peruid, mpm-itk,
#      cgid and fcgid disabled), then installs the .deb with apt-get:
#      "a2query -M" says peruid, php8.2 is still enabled, "apache2ctl
#      configtest" passes on Debian's own /etc/apache2 with no warning but
#      the expected ones (README.Debian);
#   3. serves a request as a vhost's user: a copy of the configured
#      /etc/apache2 as a second Debian instance, /etc/apache2-pkgtest
#      (apache2ctl with APACHE_CONFDIR; its envvars put the pid file,
#      logs and locks in /var/{run,log,lock}/apache2-pkgtest), with only
#      ports.conf changed to "Listen 127.0.0.1:PORT" and one site added
#      with "AssignUserID" of a user made for the test; a PHP script
#      there says posix_geteuid(); the instance is stopped by its pid;
#   4. an admin's way back to prefork survives an upgrade (the same .deb
#      installed again);
#   5. removal (apt-get remove) leaves the server on prefork with PHP
#      enabled and configtest passing; a reinstallation switches again;
#      purge forgets the module;
#   6. other hosts, with dpkg: mpm-itk enabled (disabled by the
#      installation, enabled again by the removal), cgid enabled (no
#      switch, a message), a configuration peruid refuses and prefork
#      takes (the switch undone, a message naming the error), Debian's
#      stock mpm_event without PHP.
#
# It changes this machine's /etc/apache2 and installed packages, so it
# must not run beside tests that use Debian's layout (tests/run-all.sh
# runs it alone, after run-integration.sh; by hand, under flock -o
# /tmp/integration.lock).  At the end, whatever happened (trap), it puts
# back what it changed: /etc/apache2 and /var/lib/apache2 as they were
# (a tar of both taken first), the package removed (purged), files of a
# source install ("make install") put back, the test user and the
# scratch instance removed, peruid-router removed if the package made it,
# and the system's apache2 stopped if it was not running before.
# Maintainer scripts do not start or restart the system's apache2 during
# the test: /usr/sbin/policy-rc.d denies it (one is installed for the
# test when there is none).
#
# Prints "ok N - ..." / "not ok N - ..." lines; exits non-zero on any
# failure.  PERUID_PACKAGE_KEEP=1 keeps the scratch directory.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "tests/package.sh: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
unset APACHE_CONFDIR APACHE_ENVVARS APACHE_ARGUMENTS

pkg=libapache2-mpm-peruid
inst=/etc/apache2-pkgtest               # the scratch instance
inst_dirs="$inst /var/run/apache2-pkgtest /var/lock/apache2-pkgtest
           /var/log/apache2-pkgtest"
user=peruid_pkgt                        # the vhost's user
so=/usr/lib/apache2/modules/mod_mpm_peruid.so
hdr=/usr/include/apache2/mpm_peruid.h
sys_pidfile=/var/run/apache2/apache2.pid
started=$(date +%s)

n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION COMMAND...: ok if COMMAND succeeds
check() {
    _desc=$1
    shift
    if "$@"; then ok "$_desc"; else not_ok "$_desc"; fi
}
# is DESCRIPTION GOT WANT
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}
bail() {
    echo "Bail out! $*"
    exit 1
}

if dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -qv 'not-installed'
then
    echo "tests/package.sh: $pkg is installed on this machine; the test" \
         "would remove it (PERUID_SKIP_PACKAGE=1 skips it in run-all.sh)" >&2
    exit 1
fi

# (installed by tests/deps.sh; installing it here would put its files in
# the /etc/apache2 saved below, and its postinst would switch the MPM)
dpkg-query -W -f '${Status}' libapache2-mod-php8.2 2>/dev/null \
    | grep -q '^install ok installed' \
    || { echo "tests/package.sh: libapache2-mod-php8.2 is not installed:" \
              "run tests/deps.sh first" >&2; exit 1; }

work=$(mktemp -d /tmp/peruid-package.XXXXXX)
chmod 755 "$work"                       # the vhost's user reads www/

# ------------------------------------------------------- what to restore
# system_apache_pid: the system apache2's master pid, if it runs
system_apache_pid() {
    p=$(cat "$sys_pidfile" 2>/dev/null) || return 1
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}
systemd_active() {
    [ -d /run/systemd/system ] && systemctl is-active --quiet apache2
}
sys_running_before=
if system_apache_pid >/dev/null || systemd_active; then
    sys_running_before=1
fi
tar -C / -cpf "$work/state.tar" etc/apache2 var/lib/apache2 \
    || bail "cannot save /etc/apache2 and /var/lib/apache2"
router_user_before=
getent passwd peruid-router >/dev/null && router_user_before=1
user_made=
policy_made=
saved_files=
inst_pid=

# stop_instance: the scratch instance's master, by its pid, if running
stop_instance() {
    [ -n "$inst_pid" ] || return 0
    kill -TERM "$inst_pid" 2>/dev/null
    i=0
    while kill -0 "$inst_pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 "$inst_pid" 2>/dev/null && kill -KILL "$inst_pid" 2>/dev/null
    inst_pid=
}

restore() {
    trap - EXIT INT TERM HUP
    stop_instance
    if dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -qv 'not-installed'
    then
        apt-get purge -y "$pkg" >>"$work/restore.log" 2>&1 \
            || dpkg --purge "$pkg" >>"$work/restore.log" 2>&1
    fi
    if tar -tf "$work/state.tar" >/dev/null; then
        rm -rf /etc/apache2 /var/lib/apache2
        tar -C / -xpf "$work/state.tar" || echo "# restore: tar failed" >&2
    else
        echo "# restore: $work/state.tar unreadable; /etc/apache2 left" >&2
        failed=$((failed + 1))
    fi
    for f in $saved_files; do
        cp -p "$work/saved/$(basename "$f")" "$f"
    done
    # shellcheck disable=SC2086
    rm -rf $inst_dirs
    [ -z "$user_made" ] || userdel "$user" 2>/dev/null
    if [ -z "$router_user_before" ] && getent passwd peruid-router >/dev/null
    then
        userdel peruid-router 2>/dev/null
        getent group peruid-router >/dev/null && groupdel peruid-router
    fi
    [ -z "$policy_made" ] || rm -f /usr/sbin/policy-rc.d
    if [ -z "$sys_running_before" ]; then
        p=$(system_apache_pid) && { echo "# the system apache2 was" \
            "started (pid $p): stopping it" >&2; kill -TERM "$p"; }
    fi
    if [ -n "${PERUID_PACKAGE_KEEP:-}" ] || [ "$failed" != 0 ]; then
        echo "# scratch directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap restore EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- build
echo "# building $pkg in $work/src"
mkdir "$work/src"
tar -C "$top" --exclude=.git --exclude=tests/t/logs --exclude=tests/t/conf \
    -cf - . | tar -C "$work/src" -xf -
if (cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1
then
    ok "dpkg-buildpackage -us -uc -b"
else
    not_ok "dpkg-buildpackage -us -uc -b"
    tail -30 "$work/build.log"
    exit 1
fi
# make install and make uninstall (source installs) in a DESTDIR, with the
# tree dpkg-buildpackage configured and built
dest=$work/destdir
make -C "$work/src" install DESTDIR="$dest" >"$work/make-install.log" 2>&1
is "make install DESTDIR=...: the module, the header, the .load" \
   "$(cd "$dest" && find . -type f | sort | tr '\n' ' ')" \
   "./etc/apache2/mods-available/mpm_peruid.load ./usr/include/apache2/mpm_peruid.h ./usr/lib/apache2/modules/mod_mpm_peruid.so "
mkdir -p "$dest/etc/apache2/mods-enabled"
ln -s ../mods-available/mpm_peruid.load "$dest/etc/apache2/mods-enabled/"
check "make uninstall: refused while mpm_peruid is enabled" \
    sh -c "! make -C '$work/src' uninstall DESTDIR='$dest' >/dev/null 2>&1"
rm "$dest/etc/apache2/mods-enabled/mpm_peruid.load"
make -C "$work/src" uninstall DESTDIR="$dest" >>"$work/make-install.log" 2>&1
is "make uninstall DESTDIR=...: no file left" \
   "$(cd "$dest" && find . -type f | wc -l)" 0

deb=$(ls "$work"/${pkg}_*.deb)
changes=$(ls "$work"/*.changes)
for f in "$so" "$hdr"; do
    [ -e "$f" ] || continue
    dpkg -S "$f" >/dev/null 2>&1 && continue
    mkdir -p "$work/saved" && cp -p "$f" "$work/saved/" \
        && saved_files="$saved_files $f"
done

lintian --fail-on error "$changes" \
    >"$work/lintian.log" 2>&1
lint_rc=$?
sed 's/^/# lintian: /' "$work/lintian.log" | grep -v 'root privileges'
errors=$(grep -c '^E:' "$work/lintian.log")
is "lintian: no errors (E: $errors, W: $(grep -c '^W:' "$work/lintian.log"))" \
   "$lint_rc/$errors" "0/0"

# ------------------------------------------- a shared host: prefork, PHP
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# tests/package.sh: no service starts\nexit 101\n' \
        >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_made=1
fi
rm -f /etc/apache2/mods-available/mpm_peruid.load \
      /etc/apache2/mods-available/mpm_peruid.conf   # of a source install
for m in mpm_peruid mpm_itk cgid fcgid mpm_event mpm_worker; do
    [ -e "/etc/apache2/mods-enabled/$m.load" ] && a2dismod -q -f "$m" >/dev/null
done
a2enmod -q mpm_prefork php8.2 >/dev/null
is "before: a2query -M says prefork" "$(a2query -M)" prefork
check "before: php8.2 enabled" a2query -q -m php8.2

# ---------------------------------------------------------------- install
# logged LOG COMMAND...: COMMAND's output in LOG, the maintainer scripts'
# messages shown
logged() {
    log=$work/$1
    shift
    "$@" >"$log" 2>&1
    rc=$?
    grep "$pkg:" "$log" | sed 's/^/# /'
    [ $rc = 0 ] || tail -20 "$log"
    return $rc
}
# apt_deb LOG [OPTION]: install the .deb with apt-get
apt_deb() {
    l=$1
    shift
    logged "$l" apt-get install -y --no-install-recommends "$@" "$deb"
}
# maint_state MODULE: a2query -m's exit status (0 enabled, 1 unknown, 32
# disabled by the admin, 33 by a maintainer script)
maint_state() {
    rc=0
    a2query -q -m "$1" || rc=$?
    echo $rc
}
check "apt-get install ./$(basename "$deb")" apt_deb install.log
is "a2query -M says peruid" "$(a2query -M)" peruid
check "a2query -m php8.2: enabled" a2query -q -m php8.2
check "a2query -m mpm_prefork: enabled (PHP's Depends)" \
    a2query -q -m mpm_prefork
for f in "$so" "$hdr" /etc/apache2/mods-available/mpm_peruid.load \
         /etc/apache2/mods-available/mpm_peruid.conf \
         "/usr/share/doc/$pkg/README.Debian.gz" \
         "/usr/share/doc/$pkg/directives.md.gz"; do
    check "installed: $f" test -s "$f"
done
check "mpm_peruid.load declares its conflicts" grep -q \
    '^# Conflicts: mpm_event mpm_worker mpm_itk cgid fcgid$' \
    /etc/apache2/mods-available/mpm_peruid.load
check "the routers' user peruid-router exists" \
    sh -c 'getent passwd peruid-router >/dev/null'
apache2ctl configtest >"$work/configtest.log" 2>&1
is "apache2ctl configtest on /etc/apache2: exit 0" "$?" 0
# the expected warnings: mpm_prefork.load skipped (README.Debian), no
# global ServerName, and PU00130 where a setuid or setgid mail helper
# (postfix's postdrop) is installed (PeruidNoNewPrivs in mpm_peruid.conf)
unexpected=$(grep -v -e '^Syntax OK$' -e 'AH01574: module mpm_prefork_module' \
             -e 'AH00558: ' -e 'PU00130: ' "$work/configtest.log")
is "configtest: no other warning (mpm_peruid.conf and mpm_prefork.conf agree)" \
   "$unexpected" ""

# ---------------------------------------- a request served as a vhost user
if ! getent passwd "$user" >/dev/null; then
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin \
        "$user" && user_made=1
fi
uid=$(id -u "$user")
mkdir -p "$work/www"
echo '<?php echo "uid=", posix_geteuid(), "\n";' >"$work/www/whoami.php"
chown -R "$user:$user" "$work/www"
# a free port on loopback
port=
for p in $(shuf -i 20000-40000 -n 20); do
    ss -Hltn "sport = :$p" | grep -q . || { port=$p; break; }
done
# shellcheck disable=SC2086
rm -rf $inst_dirs
cp -a /etc/apache2 "$inst"
mkdir -p /var/log/apache2-pkgtest
echo "Listen 127.0.0.1:$port" >"$inst/ports.conf"
cat >"$inst/sites-available/pkgtest.conf" <<EOF
<VirtualHost *:$port>
    ServerName pkgtest.test
    DocumentRoot $work/www
    AssignUserID $user $user
    <Directory $work/www>
        Require all granted
    </Directory>
</VirtualHost>
EOF
ln -s ../sites-available/pkgtest.conf "$inst/sites-enabled/pkgtest.conf"
APACHE_CONFDIR=$inst apache2ctl -k start >"$work/instance.log" 2>&1
i=0
while [ $i -lt 100 ]; do
    inst_pid=$(cat /var/run/apache2-pkgtest/apache2.pid 2>/dev/null) \
        && [ -n "$inst_pid" ] && break
    sleep 0.1
    i=$((i + 1))
done
check "the copy /etc/apache2-pkgtest started (pid ${inst_pid:-none})" \
    test -n "$inst_pid"
got=
i=0
while [ -n "$inst_pid" ] && [ $i -lt 50 ]; do
    got=$(curl -s -m 5 -H 'Host: pkgtest.test' \
          "http://127.0.0.1:$port/whoami.php") && [ -n "$got" ] && break
    sleep 0.2
    i=$((i + 1))
done
is "PHP served as $user (AssignUserID)" "$got" "uid=$uid"
mpm=$(APACHE_CONFDIR=$inst apache2ctl -V 2>/dev/null \
      | sed -n 's/^Server MPM: *//p')
is "the copy's MPM: peruid" "$mpm" peruid
p=$inst_pid
stop_instance
check "the copy stopped by its pid" sh -c "! kill -0 ${p:-0} 2>/dev/null"
cat /var/log/apache2-pkgtest/error.log >"$work/instance-error.log" 2>/dev/null
# shellcheck disable=SC2086
rm -rf $inst_dirs

# ------------------------------------------- the admin's choice, upgraded
a2dismod -q mpm_peruid >/dev/null
check "upgrade after the admin's a2dismod mpm_peruid: installs" \
    apt_deb upgrade.log --reinstall
check "... dpkg says it configured an upgrade" \
    grep -q "^Setting up $pkg" "$work/upgrade.log"
is "... a2query -M still says prefork" "$(a2query -M)" prefork
a2enmod -q mpm_peruid >/dev/null

# ---------------------------------------------------------------- removal
after_removal() {
    is "$1: a2query -M says prefork" "$(a2query -M)" prefork
    check "$1: a2query -m php8.2: enabled" a2query -q -m php8.2
    check "$1: mpm_peruid not enabled" \
        test ! -e /etc/apache2/mods-enabled/mpm_peruid.load
    check "$1: apache2ctl configtest passes" \
        sh -c 'apache2ctl configtest >/dev/null 2>&1'
}
check "apt-get remove $pkg" \
    sh -c "apt-get remove -y $pkg >'$work/remove.log' 2>&1"
after_removal "removed"
check "removed: the module is gone" test ! -e "$so"
check "reinstalled after removal: installs" apt_deb reinstall.log
is "... a2query -M says peruid again" "$(a2query -M)" peruid
check "apt-get purge $pkg" \
    sh -c "apt-get purge -y $pkg >'$work/purge.log' 2>&1"
after_removal "purged"
is "purged: mpm_peruid forgotten (a2query -m: 1, neither 32 nor 33)" \
   "$(maint_state mpm_peruid)" 1
check "purged: mods-available/mpm_peruid.{load,conf} gone" \
    test ! -e /etc/apache2/mods-available/mpm_peruid.load -a \
         ! -e /etc/apache2/mods-available/mpm_peruid.conf

# --------------------------------------------------- an mpm-itk host
# postinst disables mpm_itk (peruid reads its directives) and switches;
# removal enables it again
if [ -e /etc/apache2/mods-available/mpm_itk.load ]; then
    a2enmod -q mpm_itk >/dev/null
    check "itk host: dpkg -i" logged itk-install.log dpkg -i "$deb"
    is "itk host: a2query -M says peruid" "$(a2query -M)" peruid
    is "itk host: mpm_itk disabled by the maintainer script" \
       "$(maint_state mpm_itk)" 33
    check "itk host: apache2ctl configtest passes" \
        sh -c 'apache2ctl configtest >/dev/null 2>&1'
    check "itk host: dpkg -r" logged itk-remove.log dpkg -r "$pkg"
    is "itk host, removed: mpm_itk enabled again" "$(maint_state mpm_itk)" 0
    after_removal "itk host, removed"
    logged itk-purge.log dpkg -P "$pkg"
    a2dismod -q mpm_itk >/dev/null
else
    ok "# skip itk host: libapache2-mpm-itk is not installed"
fi

# ------------------------------------------------------- cgid enabled
# mpm_peruid.load conflicts with cgid: no switch, and a message
a2enmod -q cgid >/dev/null
check "cgid enabled: dpkg -i" logged cgid-install.log dpkg -i "$deb"
is "cgid enabled: a2query -M still says prefork" "$(a2query -M)" prefork
check "cgid enabled: postinst names the conflict" grep -q \
    "mpm_peruid conflicts with the enabled module(s) cgid" \
    "$work/cgid-install.log"
check "cgid enabled: apache2ctl configtest passes" \
    sh -c 'apache2ctl configtest >/dev/null 2>&1'
logged cgid-purge.log dpkg -P "$pkg"
a2dismod -q cgid >/dev/null

# ------------------------- a configuration prefork takes and peruid not
# "Group root" passes under prefork; peruid refuses it (PU00042).  The
# switch is undone: the server stays on prefork, configtest passes, and
# the message names the error
broken=/etc/apache2/conf-enabled/zz-peruid-pkgtest.conf
echo "Group root" >"$broken"
check "refused config: configtest passes under prefork" \
    sh -c 'apache2ctl configtest >/dev/null 2>&1'
check "refused config: dpkg -i" logged refused-install.log dpkg -i "$deb"
is "refused config: a2query -M still says prefork" "$(a2query -M)" prefork
is "refused config: mpm_peruid disabled by the maintainer script" \
   "$(maint_state mpm_peruid)" 33
check "refused config: postinst names the error" grep -q \
    "configtest fails under peruid: .*PU00042" "$work/refused-install.log"
check "refused config: apache2ctl configtest passes" \
    sh -c 'apache2ctl configtest >/dev/null 2>&1'
rm -f "$broken"
logged refused-purge.log dpkg -P "$pkg"

# ------------------------------- stock Debian: mpm_event, without PHP
a2dismod -q php8.2 mpm_prefork >/dev/null
a2enmod -q mpm_event >/dev/null
is "event host: a2query -M says event" "$(a2query -M)" event
check "event host: dpkg -i" logged event-install.log dpkg -i "$deb"
is "event host: a2query -M says peruid" "$(a2query -M)" peruid
check "event host: mpm_event disabled" \
    test ! -e /etc/apache2/mods-enabled/mpm_event.load
check "event host: apache2ctl configtest passes" \
    sh -c 'apache2ctl configtest >/dev/null 2>&1'
check "event host: dpkg -P" logged event-purge.log dpkg -P "$pkg"
is "event host, purged: a2query -M says prefork" "$(a2query -M)" prefork
check "event host, purged: apache2ctl configtest passes" \
    sh -c 'apache2ctl configtest >/dev/null 2>&1'

if [ -z "$sys_running_before" ]; then
    check "the system apache2 was not started" \
        sh -c "! { [ -s $sys_pidfile ] && kill -0 \$(cat $sys_pidfile); } 2>/dev/null"
fi
echo "# $n checks, $failed failed, $(($(date +%s) - started)) s"
[ "$failed" = 0 ]
