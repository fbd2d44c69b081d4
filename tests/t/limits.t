# t/limits.t -- RLimitNPROC bounds the processes of a vhost's user, and
# RLimitCPU and RLimitMEM keep their prefork meaning (CGI programs only).
# limited.test runs as peruid_ta with "RLimitNPROC 20" (and RLimitCPU,
# RLimitMEM); the main server says "RLimitNPROC 300", which every vhost
# without its own inherits.  A worker takes the lowest RLimitNPROC of its
# user's vhosts at its switch (child.c, creds.c): PHP that starts 40
# programs gets at most 20 (the kernel counts all of peruid_ta's
# processes, its workers too), while b.test keeps answering.  Before, the
# workers kept root's limit and all 40 started.
#
# A user at its limits (issue 14, "Faults and load"; mpm_peruid/overlimit.c),
# in a second instance that forks no worker before one is needed:
#   - processes: nproc.test runs as peruid_tf, a user of this test alone,
#     with "RLimitNPROC 4"; the test starts 5 processes as peruid_tf, so a
#     new worker of it would be its sixth: it answers 503 and leaves, with
#     PU00133 naming peruid_tf, while a.test and b.test answer 200; once
#     the 5 are ended, nproc.test is served again (after the pool's
#     back-off);
#   - descriptors: b.test's worker gets, from the test (prlimit), a soft
#     RLIMIT_NOFILE one above its lowest free descriptor while it waits:
#     every slot but the one for its next connection is taken, as a
#     tenant that leaked descriptors up to its limit leaves it.  b.test
#     is answered 503 with PU00134 naming peruid_tb (before, the worker
#     served it and failed at its first open(): a 403 or 500, or lost the
#     connection unanswered), a.test 200; with the old limit back, 200.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);

plan skip_all => 'PHP (mod_php) is not installed' unless vars('peruid_php');
plan tests => 22;

my %started;    # conf file => master pid, for the END block
END { stop_instances(\%started) }

my ($ta_uid) = ids_of('peruid_ta');
my ($tf_uid, $tf_gid) = ids_of('peruid_tf');
my @hogs;       # processes of peruid_tf the test started
END { kill 'KILL', @hogs if @hogs }
my ($tb_uid) = ids_of('peruid_tb');
my $htdocs = root() . '/htdocs';
my $port = free_port();
my ($master) = started_instance(\%started, 'limits', port => $port,
                                body => <<"EOF");
RLimitNPROC 300
<VirtualHost 127.0.0.1:$port>
    ServerName limited.test
    DocumentRoot "$htdocs/a"
    AssignUserID peruid_ta peruid_ta
    RLimitNPROC 20
    RLimitCPU 7
    RLimitMEM 2000000000
</VirtualHost>
EOF
ok($master, 'instance started') or exit;

sub get { kv(http($_[0], $_[1], port => $port, timeout => 20)->{body}) }

my $w = get('limited.test', '/procs.php');
is(($w->{nproc} // '-') =~ s{/.*}{}r, 20,
   "limited.test's worker: RLimitNPROC 20 ($w->{nproc})")
    or diag(explain($w));
is(($w->{cpu} // '-') =~ s{/.*}{}r, 'unlimited',
   "limited.test's worker: no RLimitCPU on the worker itself ($w->{cpu})");
my $b = get('b.test', '/procs.php');
is(($b->{nproc} // '-') =~ s{/.*}{}r, 300,
   "b.test's worker: the main server's RLimitNPROC 300 ($b->{nproc})");

# mod_cgi sets the vhost's limits on its CGI programs, as under prefork
my $c = get('limited.test', '/limits.cgi');
is(join(' ', map { ($c->{$_} // '-') =~ s{/.*}{}r } qw(nproc cpu as)),
   '20 7 2000000000', 'a CGI program of limited.test runs with its '
   . 'RLimitNPROC, RLimitCPU and RLimitMEM');

# the fork bomb: 40 programs, held 3 s, while b.test is asked meanwhile
pipe(my $rd, my $wr) or die "pipe: $!";
my $pid = fork // die "fork: $!";
if (!$pid) {
    close $rd;
    my $r = http('limited.test', '/procs.php?n=40&hold=3', port => $port,
                 timeout => 30);
    print $wr $r->{body} // '';
    close $wr;
    POSIX::_exit(0);
}
close $wr;
sleep 1;
my @b = map {
    my $r = http('b.test', '/whoami.php', port => $port, timeout => 10);
    sleep 0.2;
    ($r->{status} // '-') . '/' . (kv($r->{body})->{uid} // '-');
} 1 .. 5;
my $bomb = kv(do { local $/; <$rd> } // '');
waitpid($pid, 0);
my ($n, $failed) = ($bomb->{started} // -1, $bomb->{failed} // -1);
ok($n >= 1 && $n <= 20,
   "PHP of limited.test started $n of 40 programs (at most 20: the "
   . "kernel counts every process of peruid_ta)");
is($failed, 40 - $n, "the other $failed were refused");
is("@b", join(' ', ("200/$tb_uid") x 5),
   'b.test answered 5 of 5 requests meanwhile');
my $after = get('limited.test', '/whoami.php');
is($after->{uid}, $ta_uid, 'limited.test is served afterwards');

# ------------------------------------------------ a user at its limits
my $port2 = free_port();
my ($master2, undef, undef, $dir2) = started_instance(\%started,
    'limits_over', port => $port2, mpm => small_mpm('MaxRequestWorkers 8'),
    body => <<"EOF");
<VirtualHost 127.0.0.1:$port2>
    ServerName nproc.test
    DocumentRoot "$htdocs/default"
    AssignUserID peruid_tf peruid_tf
    RLimitNPROC 4
</VirtualHost>
EOF
ok($master2, 'second instance started') or exit;
my $elog2 = "$dir2/logs/error_log";

sub status_uid {
    my ($host) = @_;
    my $r = http($host, '/whoami.php', port => $port2, timeout => 20);
    return ($r->{status} // '-') . '/' . (kv($r->{body})->{uid} // '-');
}

# processes: 5 of peruid_tf before its first worker
for (1 .. 5) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $) = "$tf_gid $tf_gid";
        POSIX::setgid($tf_gid);
        POSIX::setuid($tf_uid) or POSIX::_exit(1);
        exec 'sleep', '120' or POSIX::_exit(1);
    }
    push @hogs, $pid;
}
sleep 0.3;
my $mark = error_log_mark($elog2);
my @n = map { status_uid('nproc.test') } 1 .. 3;
is("@n", '503/- 503/- 503/-', 'nproc.test, its user over RLimitNPROC 4: '
   . '503 (3 of 3)');
my @others = map { (status_uid('a.test'), status_uid('b.test')) } 1 .. 2;
is("@others", join(' ', ("200/$ta_uid", "200/$tb_uid") x 2),
   'a.test and b.test answer 200 meanwhile');
# the worker logs after its answers, through the log relay: wait for it
sub logged {
    my ($mark, $re) = @_;
    my $log = '';
    wait_for(sub { ($log = error_log_since($mark, $elog2)) =~ $re }, 10,
             0.2);
    return $log;
}
my $log = logged($mark, qr/PU00133/);
like($log, qr/PU00133: worker \d+ of uid $tf_uid \(peruid_tf\): the user already has more processes than its RLimitNPROC \(4\)/,
     'PU00133 names the user and its limit');
my @workers = grep { (proc_uid($_) // -1) == $tf_uid } children_of($master2);
is("@workers", '', 'no worker of peruid_tf stays');
kill 'KILL', @hogs;
waitpid($_, 0) for @hogs;
@hogs = ();
my $back = wait_for(sub { status_uid('nproc.test') eq "200/$tf_uid" }, 30,
                    0.5);
ok($back, 'nproc.test is served as peruid_tf again once the user is back '
   . 'under its limit');

# descriptors: b.test's worker, waiting, with every slot but one taken
sub waiting_in_recvmsg {
    my $s = slurp("/proc/$_[0]/syscall") // '';
    return $s =~ /^47 /;        # recvmsg (x86-64)
}
sub lowest_free_fd {
    my %t = fd_targets($_[0]);
    my $n = 0;
    $n++ while exists $t{$n};
    return $n;
}
my $r = http('b.test', '/whoami.php', port => $port2, timeout => 20);
my $bpid = kv($r->{body})->{pid} // 0;
is(($r->{status} // '-') . '/' . (kv($r->{body})->{uid} // '-'),
   "200/$tb_uid", "b.test served before (worker $bpid)");
my $free = wait_for(sub { waiting_in_recvmsg($bpid) }, 10, 0.1)
    ? lowest_free_fd($bpid) : -1;
$r = http('b.test', '/nofile.php?soft=' . ($free + 1), port => $port2,
          timeout => 20);
my $v = kv($r->{body});
ok($free > 0 && ($v->{set} // 0) == 1 && ($v->{pid} // 0) == $bpid,
   "b.test's PHP set its worker's soft RLIMIT_NOFILE to " . ($free + 1)
   . ' (its lowest free descriptor, taken by the next connection, plus one)');
wait_for(sub { waiting_in_recvmsg($bpid) }, 10, 0.1);
$mark = error_log_mark($elog2);
is(status_uid('b.test'), '503/-', 'b.test, its worker\'s descriptor table '
   . 'full: 503');
$log = logged($mark, qr/PU00134/);
like($log, qr/PU00134: worker $bpid of uid $tb_uid \(peruid_tb\): its descriptor table is full \(RLIMIT_NOFILE ${\($free + 1)}\)/,
     'PU00134 names the worker, the user and the limit');
ok(wait_for(sub { !pid_alive($bpid) }, 10, 0.1), 'that worker left');
is(status_uid('a.test'), "200/$ta_uid", 'a.test answers 200 meanwhile');
$r = http('b.test', '/whoami.php', port => $port2, timeout => 20);
$v = kv($r->{body});
is(($r->{status} // '-') . '/' . ($v->{uid} // '-'), "200/$tb_uid",
   'b.test served again, by a new worker (' . ($v->{pid} // '-') . ')');
