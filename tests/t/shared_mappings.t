# t/shared_mappings.t -- no shared memory and no lock file is common to
# the workers of two users, beyond the MPM's own records (each pool's
# counter page, at its own offset), with the modules of a shared HTTPS
# host loaded: mod_status with ExtendedStatus, mod_ssl with a shmcb
# session cache and Debian's "Mutex file:" default, PHP with OPcache.
#
#   - httpd's scoreboard (made by the master in pre_mpm) is private to
#     each worker (sbcopy.c): a.test's server-status shows its own
#     request line, and not b.test's, which is in flight at that moment
#     (before, every worker mapped the scoreboard read-write: a.test
#     read b.test's request line, query string included);
#   - mod_ssl's session cache and the mutex that guards it (a shared
#     page with the pthread mechanism, an unlinked lock file with fcntl)
#     are one copy per user (segssl.c, segments.c): before, every
#     worker mapped the one cache and locked the one file.
#
# Every shared writable mapping (device, inode and offsets, as
# /proc/PID/maps gives them) and every unlinked lock file (device and
# inode) of a worker of peruid_ta is compared with those of a worker of
# peruid_tb, for a forked worker and for a preforked one bound later,
# with each mutex mechanism, and again after a graceful restart.
use strict;
use warnings FATAL => 'all';
no warnings 'portable';    # hex() of 64-bit addresses
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();

my $libexec = vars('peruid_libexec');
plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan skip_all => 'mod_ssl is not installed'
    unless -e "$libexec/mod_ssl.so" && -e "$libexec/mod_socache_shmcb.so";
plan tests => 2 * 9 + 3;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my $htdocs = root() . '/htdocs';
my ($ta) = ids_of('peruid_ta');
my ($tb) = ids_of('peruid_tb');

# the writable shared mappings of $pid: "dev inode" => [[from, to], ...]
# (offsets in the object)
sub shared_writable {
    my $pid = shift;
    my %m;
    for (split /\n/, slurp("/proc/$pid/maps") // '') {
        my ($s, $e, $perm, $off, $dev, $ino) =
            /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)/
            or next;
        next unless $perm =~ /^.w.s$/;
        my $from = hex $off;
        push @{ $m{"$dev $ino"} }, [$from, $from + hex($e) - hex($s), $_];
    }
    return \%m;
}

# the lines of $x that overlap a mapping of $y of the same object
sub common_mappings {
    my ($x, $y) = @_;
    my @common;
    for my $k (keys %$x) {
        next unless $y->{$k};
        for my $r (@{ $x->{$k} }) {
            push @common, $r->[2]
                if grep { $_->[0] < $r->[1] && $r->[0] < $_->[1] }
                        @{ $y->{$k} };
        }
    }
    return @common;
}

# the unlinked regular files $pid holds open: "dev ino" => fd target
sub lock_files {
    my $pid = shift;
    my %f;
    my %t = fd_targets($pid);
    for my $fd (keys %t) {
        my @st = stat "/proc/$pid/fd/$fd" or next;
        next unless -f _ && $st[3] == 0;
        $f{"$st[0] $st[1]"} = "$fd $t{$fd}";
    }
    return \%f;
}

# a request for $host in the background, the child's pid
sub background {
    my ($port, $host, $path) = @_;
    my $k = fork // die "fork: $!";
    if (!$k) {
        my $r = http($host, $path, port => $port, timeout => 20);
        POSIX::_exit(($r->{status} // 0) == 200 ? 0 : 1);
    }
    return $k;
}

for my $mech ('fcntl', 'pthread') {
    my $port = free_port();
    my $dir = root() . "/inst-maps-$mech";
    my $mutex = $mech eq 'fcntl' ? "fcntl:$dir/logs" : $mech;
    my ($master) = started_instance(\%started, "maps-$mech", port => $port,
        mpm => small_mpm('PeruidPreforkedWorkers 1'), body => <<"EOF2");
LoadModule status_module $libexec/mod_status.so
LoadModule authz_host_module $libexec/mod_authz_host.so
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
LoadModule ssl_module $libexec/mod_ssl.so
SSLSessionCache "shmcb:$dir/logs/ssl_scache(512000)"
Mutex $mutex ssl-cache
ExtendedStatus On
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
EOF2
    ok($master, "$mech: instance started (mod_ssl, shmcb, mod_status)")
        or next;

    # a.test takes the preforked worker, b.test gets one forked for it
    my $ra = http('a.test', '/whoami.php', port => $port, timeout => 10);
    my $rb = http('b.test', '/whoami.php', port => $port, timeout => 10);
    ok(($ra->{status} // 0) == 200 && kv($ra->{body})->{uid} == $ta
       && ($rb->{status} // 0) == 200 && kv($rb->{body})->{uid} == $tb,
       "$mech: a.test and b.test are served, each as its user");

    # b.test busy with a request whose line carries a marker
    my $mark = "peruid-sb-$$-" . int(rand(1e9));
    my $kid = background($port, 'b.test', "/sleep.php?s=3&m=$mark");
    sleep 1;
    my $st = http('a.test', '/server-status', port => $port, timeout => 10);
    my $body = $st->{body} // '';
    ok(($st->{status} // 0) == 200 && $body =~ m{GET /server-status},
       "$mech: a.test's server-status shows request lines (its own)")
        or diag("status $st->{status}: " . substr($body, 0, 300));
    unlike($body, qr/\Q$mark\E/,
           "$mech: ... and not b.test's, in flight at that moment");

    my ($wa) = workers_of_uid($master, $ta, $port);
    my ($wb) = workers_of_uid($master, $tb, $port);
    ok($wa && $wb, "$mech: a worker of each user (" . ($wa // '-') . ', '
       . ($wb // '-') . ')') or next;
    my ($ma, $mb) = (shared_writable($wa), shared_writable($wb));
    my @common = common_mappings($ma, $mb);
    is(scalar(@common), 0,
       "$mech: no shared writable mapping of one is the other's")
        or diag(join "\n", @common);
    # what is compared is there: the MPM's page, and the cache copies
    my @copy = grep { /memfd:peruid-segments/ } split /\n/,
        slurp("/proc/$wa/maps") // '';
    ok(keys(%$ma) >= 2 && @copy >= 2, "$mech: ... of the "
       . scalar(keys %$ma) . " shared writable objects a.test's worker "
       . 'maps, its user\'s copy of OPcache and mod_ssl\'s cache among them ('
       . scalar(@copy) . ' lines)') or diag(slurp("/proc/$wa/maps"));

    my ($la, $lb) = (lock_files($wa), lock_files($wb));
    my @same = grep { $lb->{$_} } keys %$la;
    is("@same", '', "$mech: no unlinked lock file of one is the other's")
        or diag(join "\n", map { "$la->{$_} / $lb->{$_}" } @same);
    ok($mech ne 'fcntl' || grep({ /peruid-lock/ } values %$la),
       "$mech: a.test's worker holds its own copy of mod_ssl's lock file"
       . ' (' . join(', ', values %$la) . ')');
    waitpid($kid, 0);
    next unless $mech eq 'fcntl';

    # a graceful restart: mod_ssl keeps its mutex (made once, in the
    # master's first post_config pass) and makes a new cache; the new
    # generation's workers get copies of both
    my %old = map { $_ => 1 } $wa, $wb;
    kill 'USR1', $master;
    my ($na, $nb);
    wait_for(sub {
        http('a.test', '/whoami.php', port => $port, timeout => 5);
        http('b.test', '/whoami.php', port => $port, timeout => 5);
        ($na) = grep { !$old{$_} } workers_of_uid($master, $ta, $port);
        ($nb) = grep { !$old{$_} } workers_of_uid($master, $tb, $port);
        $na && $nb;
    }, 15);
    ok($na && $nb, "$mech, after a graceful restart: new workers of each "
       . 'user (' . ($na // '-') . ', ' . ($nb // '-') . ')') or next;
    @common = common_mappings(shared_writable($na), shared_writable($nb));
    is(scalar(@common), 0, "$mech, after a graceful restart: no shared "
       . "writable mapping of one is the other's") or diag(join "\n", @common);
    ($la, $lb) = (lock_files($na), lock_files($nb));
    @same = grep { $lb->{$_} } keys %$la;
    ok(!@same && grep({ /peruid-lock/ } values %$la),
       "$mech, after a graceful restart: no common lock file, and a.test's "
       . 'worker has its own copy of mod_ssl\'s ('
       . join(', ', values %$la) . ')');
}
