# t/credentials.t -- the kernel's view of the processes (/proc/<pid>/status,
# read as root): workers carry exactly their vhost user's ids and groups,
# routers exactly PeruidRouterUser's (peruid-router, not User: no tenant
# code runs as the routers' uid; t/router_user.t), and no child keeps any
# capability.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();

plan tests => 9;

my ($ta_uid, $ta_gid) = ids_of('peruid_ta');
my ($tb_uid, $tb_gid) = ids_of('peruid_tb');
my ($td_uid, $td_gid) = ids_of('peruid_td');
my $tx_gid = (getgrnam('peruid_tx'))[2];
my $master = master_pid();
my $ZERO = '0000000000000000';
my $nid = vars('peruid_noname_id');
my %started;    # conf file => master pid (instances of this test's own)
my $late = 'peruid_tlate';  # a group this test creates and deletes
END {
    stop_instances(\%started);
    system('groupdel', $late) if getgrnam($late);
}


# check_creds($label, $pid, $uid, $gid, $groups): 4 uids, 4 gids, groups,
# the four capability sets (9 tests)
sub check_creds {
    my ($label, $pid, $uid, $gid, $groups) = @_;
    my $st = proc_status($pid);
    ok($st, "$label: /proc/$pid/status readable") or do {
        fail("$label: no status") for 1 .. 8;
        return;
    };
    is($st->{Uid}, join("\t", ($uid) x 4),
       "$label: Uid real/effective/saved/fs = $uid");
    is($st->{Gid}, join("\t", ($gid) x 4),
       "$label: Gid real/effective/saved/fs = $gid");
    is(join(',', sort { $a <=> $b } split ' ', $st->{Groups}), $groups,
       "$label: Groups exactly $groups");
    is($st->{CapInh}, $ZERO, "$label: CapInh empty");
    is($st->{CapPrm}, $ZERO, "$label: CapPrm empty");
    is($st->{CapEff}, $ZERO, "$label: CapEff empty");
    is($st->{CapAmb}, $ZERO, "$label: CapAmb empty");
    is(proc_ppid($pid), $master, "$label: a child of the master");
}

ok($master && proc_uid($master) == 0, "the master ($master) runs as root");

my %workers;
subtest 'workers: ids, groups and capabilities of their vhost user' => sub {
    my %expect = (
        'a.test'       => [$ta_uid, $ta_gid, join(',', groups_of('peruid_ta'))],
        'b.test'       => [$tb_uid, $tb_gid, join(',', groups_of('peruid_tb'))],
        'bx.test'      => [$tb_uid, $tx_gid, initgroups_of('peruid_tb', $tx_gid)],
        'default.test' => [$td_uid, $td_gid, join(',', groups_of('peruid_td'))],
        # #uid #gid without passwd/group entries: the gid alone
        'noname.test'  => [($nid) x 3],
    );
    Test::More::plan(tests => 10 * keys %expect);
    for my $host (sort keys %expect) {
        # keep the connection open while we look: the worker cannot exit
        my $c = keepalive_connect();
        ka_send($c, $host, '/whoami.php');
        my $r = ka_read_response($c);
        my $pid = kv($r->{body})->{pid};
        ok($pid, "$host: worker pid $pid from PHP getmypid()");
        $workers{$host} = $pid;
        check_creds("$host worker $pid", $pid, @{ $expect{$host} });
        close $c->{sock};
    }
};

my @routers = routers($master);
subtest 'routers: peruid-router ids, no capabilities, system call filter'
    => sub {
    my $n = vars('peruid_routers') || 2;    # PeruidRouters in httpd.conf.in
    Test::More::plan(tests => 2 + 11 * @routers);
    is(scalar(@routers), $n, "$n routers (children holding the listener)");
    my %w = map { $_ => 1 } values %workers;
    ok(!grep({ $w{$_} } @routers), 'no worker holds the listening socket');
    my ($ru_uid, $ru_gid) = ids_of('peruid-router');
    my $groups = join ',', groups_of('peruid-router');
    for my $pid (@routers) {
        check_creds("router $pid", $pid, $ru_uid // '-', $ru_gid // '-',
                    $groups);
        my $st = proc_status($pid);
        is($st->{Seccomp}, 2, "router $pid: seccomp filter mode");
        is($st->{NoNewPrivs}, 1, "router $pid: no_new_privs (required by "
           . "an unprivileged seccomp filter)");
    }
};

subtest 'no child of the master runs as root or keeps capabilities' => sub {
    # a child forked this very moment is root for a few microseconds,
    # until its switch (milliseconds under the suite's load: it copies
    # its user's OPcache segment and starts its log relay first): only
    # one that stays so for 5 s is a failure.  A child
    # that exits meanwhile is left out (and not counted as a pass).
    my %st;
    for my $pid (children_of($master)) {
        my $st;
        wait_for(sub {
            $st = proc_status($pid);
            !$st || ($st->{Uid} !~ /(^|\s)0(\s|$)/
                     && $st->{CapEff} eq $ZERO);
        }, 5);
        $st{$pid} = $st if $st;
    }
    my @kids = sort { $a <=> $b } keys %st;
    Test::More::plan(tests => 1 + 2 * @kids);
    ok(@kids >= @routers + 1, scalar(@kids) . ' children looked at');
    for my $pid (@kids) {
        my $st = $st{$pid};
        unlike($st->{Uid}, qr/(^|\s)0(\s|$)/, "child $pid: no uid 0 "
               . "($st->{Uid})");
        ok($st->{CapPrm} eq $ZERO && $st->{CapEff} eq $ZERO
           && $st->{CapInh} eq $ZERO && $st->{CapAmb} eq $ZERO,
           "child $pid: no capability");
    }
};

subtest 'workers hold no listening socket and no channel but their own' => sub {
    my %listen = map { $_ => 1 } listen_inodes();
    Test::More::plan(tests => 3 * keys(%workers) + 2);
    my $u = unix_inodes();
    my %chan;       # host -> the worker's unix socket inodes
    for my $host (sort keys %workers) {
        my $pid = $workers{$host};
        my %s = socket_inodes($pid);
        ok(!grep({ $listen{$_} } values %s),
           "$host worker $pid: no listening socket");
        my @unix = grep { $u->{$_} } values %s;
        is(scalar(@unix), 1, "$host worker $pid: exactly one unix socket "
           . "(its pool's channel, whose other direction is its back "
           . "channel, handover.c; no other pool's, no control channel)");
        $chan{$host} = join ',', sort @unix;
        # (give the worker a moment to finish its lingering close)
        my $none = wait_for(sub {
            my %now = socket_inodes($pid);
            my $uu = unix_inodes();
            !grep { !$uu->{$_} && !$listen{$_} } values %now;
        }, 3);
        ok($none, "$host worker $pid: no other socket (the client "
           . "connection was closed)");
    }
    my %by_chan;
    push @{ $by_chan{ $chan{$_} } }, $_ for keys %chan;
    my @shared = grep { @{ $by_chan{$_} } > 1 } keys %by_chan;
    is(join(' ', map { "@{ $by_chan{$_} }" } @shared), '',
       'workers of different pools never share a channel end');
    my %mine = map { $_ => 1 } map { split /,/ } values %chan;
    my @in_router = grep {
        my %s = socket_inodes($_);
        grep { $mine{$_} } values %s;
    } @routers;
    is("@in_router", '', 'no router holds a worker\'s receive end');
};

subtest 'a worker cannot get root back' => sub {
    Test::More::plan(tests => 6);
    my $r = http('a.test', '/tryroot.php');
    my $v = kv($r->{body});
    is($r->{status}, 200, 'tryroot.php ran');
    is($v->{setuid0}, 'refused', 'posix_setuid(0) fails in the worker');
    is($v->{seteuid0}, 'refused', 'posix_seteuid(0) fails in the worker');
    is($v->{setgid0}, 'refused', 'posix_setgid(0) fails in the worker');
    is($v->{setegid0}, 'refused', 'posix_setegid(0) fails in the worker');
    is($v->{euid}, $ta_uid, 'still peruid_ta afterwards');
};

# The routers see every request head of every vhost: the kernel must keep
# the vhosts' code out of them.  They run as a uid of their own, and are
# non-dumpable besides (a setuid() from root leaves a process so: no
# ptrace, no /proc/<pid>/environ or mem), even for their own uid.
#
# The control: a dumpable process of peruid_td (sleep, started here with
# setpriv) IS readable by default.test's PHP, so a READ-FAILED below is
# the router's protection, not a probe that cannot read anything.
subtest 'User\'s vhosts cannot look into the routers' => sub {
    Test::More::plan(tests => 2 + 2 * @routers);
    my $ctl = fork // die "fork: $!";
    if (!$ctl) {
        exec('setpriv', "--reuid=$td_uid", "--regid=$td_gid", '--clear-groups',
             'sleep', '30') or POSIX::_exit(127);
    }
    wait_for(sub { (proc_uid($ctl) // -1) == $td_uid
                   && (slurp("/proc/$ctl/comm") // '') =~ /^sleep/ }, 5);
    my $r = http('default.test', "/procread.php?pid=$ctl");
    like($r->{body}, qr/^READ-OK/, "control: default.test PHP reads "
         . "/proc/$ctl/environ of a dumpable peruid_td process");
    my @cst = stat("/proc/$ctl/environ");
    is($cst[4], $td_uid, "control: its /proc files belong to peruid_td");
    kill 'KILL', $ctl;
    waitpid($ctl, 0);
    for my $pid (@routers) {
        my $r = http('default.test', "/procread.php?pid=$pid");
        like($r->{body}, qr/^READ-FAILED/, "default.test PHP (uid $td_uid) "
             . "cannot read /proc/$pid/environ of router $pid");
        my @st = stat("/proc/$pid/environ");
        is($st[4], 0, "router $pid is not dumpable (its /proc files "
           . "belong to root)");
    }
};

# kill(pid, 0) tells whether a process may be signalled: vhost code may
# signal its own user's processes only (the routers have a uid of their
# own: t/router_user.t).
subtest 'vhost code cannot signal the master or other users\' workers' => sub {
    Test::More::plan(tests => 5);
    my $sig0 = sub {
        my ($host, $pid) = @_;
        my $r = http($host, "/signal.php?pid=$pid&sig=0");
        return $r->{body} =~ /^SENT/ ? 'SENT' : 'FAILED';
    };
    my $b_pid = kv(http('b.test', '/whoami.php')->{body})->{pid};
    is($sig0->('a.test', $master), 'FAILED', 'a.test PHP cannot signal the '
       . 'master');
    is($sig0->('a.test', $b_pid), 'FAILED', 'a.test PHP cannot signal '
       . "b.test's worker ($b_pid)");
    is($sig0->('a.test', $routers[0]), 'FAILED', 'a.test PHP cannot '
       . 'signal a router');
    is($sig0->('b.test', $b_pid), 'SENT', 'b.test PHP can signal its own '
       . 'user\'s worker (control)');
    is($sig0->('bx.test', $b_pid), 'SENT', 'bx.test (same uid, other gid) '
       . 'can signal it too: signals go by uid');
};

# proc_groups($pid): its supplementary groups, sorted, comma-separated
sub proc_groups {
    my $st = proc_status(shift) or return '';
    return join ',', sort { $a <=> $b } split ' ', $st->{Groups};
}

# the worker of vhost $host answering on $port: its pid
sub worker_of {
    my ($host, $port) = @_;
    return kv(http($host, '/whoami.php', port => $port)->{body})->{pid};
}

# The master looks a user's groups up before the first worker of that
# user in each generation, not for every user at start (thousands of
# users made the start take seconds): a group the user joins after the
# start but before its first request is among its worker's groups; after
# a graceful restart the next worker has the groups of that moment.  A
# preforked worker, which any user's pool may get, carries every user's
# groups.  Instances of their own (inst-cred-*): the test server's users
# must keep their groups for the other tests.
subtest 'groups looked up before a user\'s first worker, per generation'
    => sub {
    Test::More::plan(tests => 8);
    my $mpm = "StartServers 0\nMinSpareServers 0\nMaxSpareServers 2\n"
            . "ServerLimit 16\nMaxRequestWorkers 12\nPeruidRouters 1\n"
            . "PeruidIdleTimeout 60\n";
    my ($pm, $pport) = started_instance(\%started, 'cred-pre',
        mpm => $mpm . "PeruidPreforkedWorkers 1\n");
    # default.test's answer took the first one; its replacement:
    my %waiting;
    wait_for(sub {
        %waiting = map { $_ => 1 }
            grep { (proc_uid($_) // -1) == 0 } children_of($pm);
        %waiting;
    }, 5);
    my $pb = worker_of('b.test', $pport);
    ok($pb && $waiting{$pb}, 'b.test served by a preforked worker ('
       . ($pb // 'none') . ')');
    is(proc_groups($pb), join(',', groups_of('peruid_tb')),
       'the preforked worker bound to b.test has peruid_tb\'s groups');
    is(proc_groups(worker_of('a.test', $pport)),
       join(',', groups_of('peruid_ta')),
       'a.test\'s worker has peruid_ta\'s groups (peruid_tx among them)');

    system('groupadd', '--system', $late) unless getgrnam($late);
    my $gid = getgrnam($late);
    system('gpasswd', '-d', 'peruid_tb', $late)
        if grep { $_ == $gid } groups_of('peruid_tb');
    my ($m, $port) = started_instance(\%started, 'cred-late', mpm => $mpm);
    ok($m, 'instance started; then peruid_tb joins ' . $late);
    system('usermod', '-a', '-G', $late, 'peruid_tb');
    my $want = join ',', groups_of('peruid_tb');
    my $w1 = worker_of('b.test', $port);
    is(proc_groups($w1), $want, "b.test's first worker ($w1) has the "
       . "groups of its fork, $late among them ($want)");
    system('gpasswd', '-d', 'peruid_tb', $late);
    $want = join ',', groups_of('peruid_tb');
    kill 'USR1', $m;        # graceful restart
    ok(wait_for(sub { !pid_alive($w1) }, 10), "graceful restart: the "
       . "worker $w1 left");
    my $w2;
    wait_for(sub { $w2 = worker_of('b.test', $port) }, 10);
    isnt($w2, $w1, "a new worker ($w2) for b.test");
    is(proc_groups($w2), $want, "it has the groups of the new "
       . "generation, without $late ($want)");
};
