#!/bin/bash
# tests/perl-framework.sh -- httpd's own test suite (the perl-framework,
# apache/httpd-tests) against Debian's apache2 under mpm_prefork and under
# mpm_peruid, with a comparison of every subtest.  Optional: not part of
# tests/run-all.sh or CI (about 9 minutes per MPM on 2 cores).  Run as
# root from a checkout after tests/build.sh:
#
#     tests/perl-framework.sh HTTPD_TESTS_DIR          # whole suite
#     tests/perl-framework.sh HTTPD_TESTS_DIR t/apache t/modules/cgi.t
#
# HTTPD_TESTS_DIR is a checkout (or an unpacked archive) of
# apache/httpd-tests; without it, $PERLFW_SRC, else it is cloned from
# $PERLFW_GIT (set it to the project's GitHub address) into the work
# directory.  Apache::Test itself is Debian's (libapache2-mod-perl2).
#
# What it does, for each MPM in $PERLFW_MPMS (default "prefork peruid"):
#   - a copy of the framework in $PERLFW_ROOT/MPM, owned by the test user
#     peruid_pf (created when missing), whom the server runs as (User);
#     the server is started as root (the peruid master must be root;
#     prefork's is too, as in production), the tests run as peruid_pf,
#     as upstream runs them (the files and sockets they make are the
#     server's to use);
#   - t/TEST is Apache::Test's own driver, with check_runtime_user
#     overridden (Apache::Test refuses root) and the LoadModule
#     lines inherited from a file of ours instead of apache2.conf: every
#     module of Debian's apache2 whose .load file is in mods-available,
#     in the order of their "# Depends:" lines, plus PHP, and the MPM
#     under test; left out: the other MPMs (mpm_event, mpm_worker,
#     mpm_itk), mod_cgid (mod_cgi serves CGI under both), mod_fcgid and
#     mod_perl (the framework uses neither; mod_perl would make
#     Apache::Test configure for mod_perl's own tests), mod_md (no test;
#     it would try to reach an ACME server);
#   - the server is started once (t/TEST -start-httpd); the test files
#     then run one directory at a time (t/TEST -run-tests -verbose
#     FILES, at most $PERLFW_TIMEOUT seconds, default 900); after a
#     timeout the files after the one that hung run in a new batch; a
#     server found dead before a batch is started again; both recorded;
#   - the output of each file goes to $PERLFW_OUT/MPM/tap/, the server's
#     logs to $PERLFW_OUT/MPM/logs/.
# Then $PERLFW_OUT/compare.txt: totals per MPM and every subtest whose
# result differs (ok under one, not ok, missing or skipped under the
# other), and $PERLFW_OUT/compare.tsv: one line per subtest.
#
# Environment:
#   PERLFW_ROOT     work directory (default /tmp/peruid-perlfw), removed
#                   and recreated; must be /tmp/peruid-perlfw* or
#                   /var/tmp/peruid-perlfw*
#   PERLFW_OUT      results (default $PERLFW_ROOT/out)
#   PERLFW_MPMS     "prefork peruid" (default), or one of them
#   PERUID_MODULE   the peruid module (default: this checkout's
#                   mpm_peruid/.libs/mod_mpm_peruid.so)
#   PERLFW_LOCK     a lock file taken (flock) around each MPM's run, so
#                   that other integration runs may go between them
#   PERLFW_TIMEOUT  seconds per batch of test files (default 900)
#   PERLFW_SSL=0    leave mod_ssl out (default: loaded; the framework's
#                   t/ssl tests and its TLS vhosts run with it)
#   PERLFW_NO_APT=1 install nothing
#   PERLFW_PREFORK_OUT  with PERLFW_MPMS=peruid: the prefork results of an
#                   earlier run (its $PERLFW_OUT/prefork) to compare with
set -eu

# descriptors inherited from the caller (a lock file) are closed, so a
# server left behind cannot keep them
for fd in $(ls /proc/$$/fd); do
    if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then
        eval "exec $fd>&-" 2>/dev/null || true
    fi
done

tests=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$tests/.." && pwd)

if [ "$(id -u)" != 0 ]; then
    echo "perl-framework.sh: must run as root" >&2
    exit 2
fi

src=${1:-${PERLFW_SRC:-}}
[ $# -gt 0 ] && shift
root=${PERLFW_ROOT:-/tmp/peruid-perlfw}
case "$root" in
    /tmp/peruid-perlfw*|/var/tmp/peruid-perlfw*) ;;
    *) echo "perl-framework.sh: refusing PERLFW_ROOT=$root" >&2; exit 2 ;;
esac
case "$root" in *..*|*/) echo "perl-framework.sh: bad PERLFW_ROOT" >&2
                          exit 2 ;; esac
out=${PERLFW_OUT:-$root/out}
mpms=${PERLFW_MPMS:-prefork peruid}
file_timeout=${PERLFW_TIMEOUT:-900}
module=${PERUID_MODULE:-$top/mpm_peruid/.libs/mod_mpm_peruid.so}
user=peruid_pf

# ------------------------------------------------------------- packages
if [ -z "${PERLFW_NO_APT:-}" ]; then
    export DEBIAN_FRONTEND=noninteractive
    stamp=/var/lib/apt/periodic/peruid-deps-updated
    if [ ! -f "$stamp" ]; then
        apt-get update
        mkdir -p "$(dirname "$stamp")" && touch "$stamp"
    fi
    # Apache::Test comes with libapache2-mod-perl2; the rest are what
    # the framework's tests use (LWP, TLS, DAV, HTTP/2, FastCGI,
    # websockets, dates)
    apt-get install -y --no-install-recommends \
        apache2 apache2-dev libapache2-mod-php libapache2-mod-perl2 \
        libwww-perl liblwp-protocol-https-perl libio-socket-ssl-perl \
        libnet-ssleay-perl libhttp-dav-perl libprotocol-http2-perl \
        libdatetime-perl libfcgi-perl libanyevent-websocket-client-perl \
        openssl git >/dev/null
fi
case " $mpms " in
    *" peruid "*)
        [ -f "$module" ] || { echo "perl-framework.sh: $module not found;" \
                                   "run tests/build.sh first" >&2; exit 2; } ;;
esac

if ! getent passwd "$user" >/dev/null; then
    getent group "$user" >/dev/null || groupadd --system "$user"
    useradd --system --gid "$user" --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
fi

# --------------------------------------------------------------- cleanup
# server_alive PIDFILE: is its pid a live apache2 (never whatever reuses it)
server_alive() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    case "$pid" in ''|*[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null \
        && grep -qE '^(apache2|httpd)$' "/proc/$pid/comm" 2>/dev/null
}
# stop_pidfile PIDFILE: TERM, up to 10 s, then KILL
stop_pidfile() {
    local pid i
    server_alive "$1" || return 0
    pid=$(cat "$1")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        server_alive "$1" || return 0
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$? m
    trap - EXIT INT TERM
    for m in prefork peruid; do
        stop_pidfile "$root/$m/t/logs/httpd.pid"
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for m in prefork peruid; do
    stop_pidfile "$root/$m/t/logs/httpd.pid"
done
rm -rf "$root"
mkdir -p "$root" "$out"
chmod 0755 "$root"

# ---------------------------------------------------------- the framework
if [ -z "$src" ]; then
    if [ -z "${PERLFW_GIT:-}" ]; then
        echo "perl-framework.sh: give a checkout of apache/httpd-tests" \
             "(or PERLFW_GIT=its git address)" >&2
        exit 2
    fi
    git clone -q --depth 1 "$PERLFW_GIT" "$root/src"
    src=$root/src
fi
src=$(cd "$src" && pwd)
[ -f "$src/Makefile.PL" ] && [ -d "$src/t" ] || {
    echo "perl-framework.sh: $src is not an httpd-tests checkout" >&2
    exit 2; }

# ------------------------------------------------------ the LoadModule file
libexec=$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
# load_lines MPM_LINE: the inherited configuration of one run
load_lines() {
    PERLFW_SSL=${PERLFW_SSL:-1} perl -e '
        use strict; use warnings;
        my ($dir, $lib, $mpm_line) = @ARGV;
        my %skip = map { $_ => 1 } qw(mpm_event mpm_worker mpm_prefork
            mpm_itk mpm_peruid cgid fcgid perl md);
        $skip{ssl} = 1 unless $ENV{PERLFW_SSL};
        my (%line, %deps);
        for my $f (sort glob "$dir/*.load") {
            my ($name) = $f =~ m{([^/]+)\.load$};
            next if $skip{$name};
            open my $fh, "<", $f or die "$f: $!";
            while (<$fh>) {
                push @{ $deps{$name} }, split /[\s,]+/, $1
                    if /^#\s*Depends:\s*(.*)/;
                $line{$name} .= $_ if /^\s*LoadModule\s/;
            }
        }
        my (%done, @order);
        my $visit; $visit = sub {
            my $n = shift;
            return if $done{$n}++ or !exists $line{$n};
            $visit->($_) for grep { length } @{ $deps{$n} || [] };
            push @order, $n;
        };
        $visit->($_) for sort keys %line;
        # modules Debian ships without a .load file (the examples
        # bucketeer, case_filter, case_filter_in): after the others
        my %have = map { m{/([^/\s]+\.so)\s*$}m ? ($1 => 1) : () }
                   values %line;
        for my $so (sort glob "$lib/mod_*.so") {
            my ($base, $name) = $so =~ m{/(mod_(\w+)\.so)$} or next;
            next if $have{$base} or $skip{$name};
            push @order, $name;
            $line{$name} = "LoadModule ${name}_module $so\n";
        }
        print "# generated by tests/perl-framework.sh\n$mpm_line\n";
        print $line{$_} for @order;
        print "TypesConfig /etc/mime.types\n";
    ' /etc/apache2/mods-available "$libexec" "$1"
}

# free_port_base: a base port with the next 99 ports free on loopback
# (Apache::Test gives each of the framework's vhosts a port of its own)
free_port_base() {
    perl -MIO::Socket::INET -e '
        BASE: for (my $b = 8529; $b < 30000; $b += 100) {
            for my $p ($b .. $b + 99) {
                my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
                    LocalPort => $p, Proto => "tcp", ReuseAddr => 1,
                    Listen => 1) or next BASE;
                close $s;
            }
            print "$b\n"; exit 0;
        }
        exit 1;'
}

# ------------------------------------------------------------- one MPM
# run_mpm MPM TESTS...: configure, start, run every test file, stop
run_mpm() {
    local mpm=$1 dir=$root/$1 mo=$out/$1 inherit t tf rc
    shift
    mkdir -p "$mo/tap" "$mo/logs"
    cp -R "$src" "$dir"
    case "$mpm" in
        prefork) inherit=$(load_lines \
            "LoadModule mpm_prefork_module $libexec/mod_mpm_prefork.so") ;;
        peruid)  inherit=$(load_lines \
            "LoadModule mpm_peruid_module $module") ;;
    esac
    printf '%s\n' "$inherit" > "$dir/perlfw-inherit.conf"
    cp "$dir/perlfw-inherit.conf" "$mo/inherit.conf"
    (cd "$dir" && perl Makefile.PL -apxs "$(command -v apxs)" \
        >"$mo/makefile-pl.log" 2>&1)
    # Apache::Test's own t/TEST, less the refusal of root
    cat > "$dir/t/TEST" <<EOF
#!/usr/bin/perl
# generated by tests/perl-framework.sh: Makefile.PL's t/TEST, run as root
\$Apache::TestConfig::Argv{'apxs'} = q|$(command -v apxs)|;
\$Apache::TestConfig::Argv{'limitrequestline'} = q|128|;
\$Apache::TestConfig::Argv{'limitrequestlinex2'} = q|256|;
use strict;
use warnings FATAL => 'all';
use lib qw($dir);
use Apache::TestRun ();

package PerlFw::TestRun;
use base 'Apache::TestRun';
# the master is root (as in production); its children are not
sub check_runtime_user { 1 }
sub pre_configure {
    my \$self = shift;
    \$self->{conf_opts}{httpd_conf} = '$dir/perlfw-inherit.conf';
    \$self->SUPER::pre_configure();
}

package main;
PerlFw::TestRun->new->run(@ARGV);
EOF
    chmod 0755 "$dir/t/TEST"
    chown -R "$user:$user" "$dir"

    cd "$dir"
    local port lock=()
    port=$(free_port_base)
    [ -n "${PERLFW_LOCK:-}" ] && lock=(flock -o "$PERLFW_LOCK")
    "${lock[@]}" bash -c '
        set -u
        u=$1 mo=$2 ft=$3 mpm=$5
        t/TEST -clean >/dev/null 2>&1
        # the APACHE_TEST_* variables for -configure only: when they are
        # set, every t/TEST writes t/conf anew, and the edits below are lost
        APACHE_TEST_USER=$1 APACHE_TEST_GROUP=$1 APACHE_TEST_PORT=$4 \
            t/TEST -configure >"$mo/configure.log" 2>&1 || exit 3
        shift 5
        # loopback only (Apache::Test writes Listen 0.0.0.0:PORT)
        sed -i -E "s/^([[:space:]]*Listen[[:space:]]+)0\.0\.0\.0:/\1127.0.0.1:/" \
            t/conf/httpd.conf
        if [ "$mpm" = peruid ]; then
            # refused by peruid at -t (PU00093): client keys for proxied
            # TLS would be in every user'"'"'s workers
            for f in t/conf/ssl/proxyssl.conf; do
                [ -f "$f" ] || continue
                grep -n "^[[:space:]]*SSLProxyMachineCertificate" "$f" \
                    | sed "s|^|removed from $f: |" >>"$mo/events.log"
                sed -i -E "s/^([[:space:]]*SSLProxyMachineCertificate)/#\1/" "$f"
            done
        fi
        start() { t/TEST -start-httpd >>"$mo/start.log" 2>&1; }
        alive() {
            local pid; pid=$(cat t/logs/httpd.pid 2>/dev/null) || return 1
            kill -0 "$pid" 2>/dev/null
        }
        # the tests run as the server'"'"'s user, as upstream runs them: files
        # and sockets they make are the server'"'"'s to use (t/modules/proxy.t'"'"'s
        # UNIX socket, made by root, was refused and its server hung)
        chown -R "$u:$u" .
        rm -f /tmp/test-ptf.sock /tmp/test-ptf.sock.marker
        start || { echo "server did not start" >>"$mo/events.log"; exit 4; }
        [ $# -eq 0 ] && set -- $(cd t && ls -d */ | tr -d /)
        # one batch per directory (a t/TEST costs about 5 s of start-up:
        # one per file would double the time); a batch that times out is
        # run again from the file after the one it hung in
        k=0
        for a in "$@"; do
            if [ -d "t/$a" ]; then a=t/$a; fi
            if [ -d "$a" ]; then
                set -- $(find "$a" -name "*.t" | sort)
            else
                set -- "$a"
            fi
            while [ $# -gt 0 ]; do
                if ! alive; then
                    echo "server dead before $1; started again" >>"$mo/events.log"
                    start || echo "start failed before $1" >>"$mo/events.log"
                fi
                k=$((k + 1))
                bf=$mo/tap/batch-$(printf %03d $k).log
                timeout -k 10 "$ft" runuser -u "$u" -- \
                    t/TEST -run-tests -verbose "$@" >"$bf" 2>&1
                rc=$?
                echo "$* $rc" >>"$mo/batches.txt"
                [ $rc = 124 ] || [ $rc = 137 ] || break
                hung=$(grep -oE "^t/[^ ]+\.t" "$bf" | tail -n 1)
                echo "timeout in $hung" >>"$mo/events.log"
                while [ $# -gt 0 ] && [ "$1" != "$hung" ]; do shift; done
                [ $# -gt 0 ] && shift
                [ -n "$hung" ] || break
            done
        done
        t/TEST -stop-httpd >/dev/null 2>&1
        exit 0
    ' perlfw "$user" "$mo" "$file_timeout" "$port" "$mpm" "$@" || echo "run $mpm: exit $?" \
        >>"$mo/events.log"
    cd "$top"
    stop_pidfile "$dir/t/logs/httpd.pid"
    cp -R "$dir/t/logs/." "$mo/logs/" 2>/dev/null || true
    cp "$dir/t/conf/httpd.conf" "$mo/httpd.conf" 2>/dev/null || true
}

for m in $mpms; do
    echo "perl-framework.sh: $m ($(date -u +%H:%M:%S))"
    run_mpm "$m" "$@"
done

# ------------------------------------------------------------ comparison
# compare OUT MPM...: totals per MPM and the subtests whose results differ
compare() {
    perl - "$@" <<'EOF'
use strict; use warnings;
my ($out, @mpms) = @ARGV;
my (%r, %files);
# the verbose TAP of the batches, file by file: plan, each top-level
# subtest (with the notes printed before a failure), skip reason
for my $m (@mpms) {
    my %timeout;
    if (open my $ev, '<', "$out/$m/events.log") {
        while (<$ev>) { $timeout{$1} = 1 if /^timeout in (\S+)/; }
    }
    for my $log (sort glob "$out/$m/tap/batch-*.log") {
        open my $fh, '<', $log or next;
        my ($f, @notes);
        while (<$fh>) {
            chomp;
            if (m{^(t/\S+\.t) \.+ ?(.*)$}) {
                $files{$1} = 1;
                $f = $r{$m}{$1} = { plan => undef, sub => {},
                                    timeout => $timeout{$1} };
                @notes = ();
                $_ = $2;
            }
            next unless $f;
            if (/^skipped:?\s*(.*)/ || /^1\.\.0\s*#\s*skip\w*\s*(.*)/i) {
                $f->{skipped} = $1 || 'skipped'; next;
            }
            if (/^1\.\.(\d+)(?:\s+todo\s+([\d\s]+);)?/) {
                # Test.pm's old TAP: the plan names the TODO subtests
                $f->{plan} = $1;
                $f->{todo} = { map { $_ => 1 } split ' ', $2 || '' };
                next;
            }
            if (/^(not )?ok (\d+)\b\s*(.*)$/) {
                my ($not, $n, $rest) = ($1, $2, $3);
                my $st = $not ? 'fail' : 'ok';
                if ($rest =~ /#\s*skip/i)    { $st = 'skip'; }
                elsif ($rest =~ /#\s*todo/i || $f->{todo}{$n}) {
                    $st = $not ? 'todo' : 'ok';
                }
                $rest =~ s/^-\s*//;
                # Test.pm prints a failure's notes before its "not ok"
                my @d = $st eq 'fail' ? grep { !/^Failed test/ } @notes : ();
                splice @d, 0, @d - 8 if @d > 8;
                $f->{sub}{$n} = { st => $st, desc => $rest, diag => \@d };
                @notes = ();
                next;
            }
            push @notes, $1 if /^#\s?(.*)/;
        }
    }
}
# results of every subtest, with the missing ones of the plan
sub status {
    my ($f, $n) = @_;
    return 'absent' unless $f;
    return 'file-skipped' if $f->{skipped};
    return $f->{sub}{$n}{st} if $f->{sub}{$n};
    return 'missing';
}
my %tot;
my @diff;
open my $tsv, '>', "$out/compare.tsv" or die;
print $tsv join("\t", 'file', 'n', @mpms, 'description'), "\n";
for my $t (sort keys %files) {
    my %ns;
    for my $m (@mpms) {
        my $f = $r{$m}{$t} or next;
        if ($f->{skipped}) { $tot{$m}{files_skipped}++; next; }
        $tot{$m}{files_run}++;
        $tot{$m}{files_timeout}++ if $f->{timeout};
        $ns{$_} = 1 for keys %{ $f->{sub} };
        $ns{$_} = 1 for 1 .. ($f->{plan} || 0);
    }
    for my $n (sort { $a <=> $b } keys %ns) {
        my @st = map { status($r{$_}{$t}, $n) } @mpms;
        my ($d) = grep { defined } map { $r{$_}{$t} && $r{$_}{$t}{sub}{$n}
                                         && $r{$_}{$t}{sub}{$n}{desc} } @mpms;
        $d = '' unless defined $d;
        for my $i (0 .. $#mpms) { $tot{$mpms[$i]}{$st[$i]}++; }
        print $tsv join("\t", $t, $n, @st, $d), "\n";
        my %u = map { $_ => 1 } @st;
        push @diff, [$t, $n, \@st, $d] if keys %u > 1;
    }
}
close $tsv;
print "perl-framework results ($out)\n\n";
for my $m (@mpms) {
    my $x = $tot{$m} || {};
    printf "%-8s files run %d (skipped whole %d, timed out %d); subtests:"
         . " ok %d, failed %d, missing %d, skipped %d, todo %d\n", $m,
         map { $x->{$_} || 0 } qw(files_run files_skipped files_timeout
                                  ok fail missing skip todo);
}
for my $m (@mpms) {
    open my $ev, '<', "$out/$m/events.log" or next;
    print "\nevents under $m:\n", map { "  $_" } <$ev>;
}
print "\nsubtests whose results differ (", scalar(@diff), "):\n";
for my $x (@diff) {
    my ($t, $n, $st, $d) = @$x;
    printf "%-40s %4d  %s  %s\n", $t, $n,
        join(' / ', map { "$mpms[$_]=$st->[$_]" } 0 .. $#mpms), $d;
    for my $m (@mpms) {
        my $s = $r{$m}{$t} && $r{$m}{$t}{sub}{$n} or next;
        print "      $m: # $_\n" for @{ $s->{diag} };
    }
}
EOF
}
if [ -n "${PERLFW_PREFORK_OUT:-}" ] && [ "$mpms" = peruid ]; then
    cp -R "$PERLFW_PREFORK_OUT" "$out/prefork"
    mpms="prefork peruid"
fi
compare "$out" $mpms >"$out/compare.txt"
cat "$out/compare.txt"
