# t/fairness.t -- the shared bound on workers (MaxRequestWorkers) among
# user pools: when it is reached, the least recently used idle worker of
# another user makes room; when every worker is busy, the pool with the
# most workers gives one up after its current request, so a burst for one
# user cannot starve the others.  Runs instances of its own
# (inst-fair-*) on free ports.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);

plan tests => 2;

my ($ta_uid) = ids_of('peruid_ta');
my ($td_uid) = ids_of('peruid_td');
my $tx_gid = getgrnam('peruid_tx');
my %started;    # conf file => master pid, for the END block

END { stop_instances(\%started) }

# A fourth pool: peruid_ta's uid with group peruid_tx.
sub c_vhost {
    my ($port) = @_;
    my $htdocs = vars('peruid_root') . '/htdocs';
    return <<"EOF";
<VirtualHost 127.0.0.1:$port>
    ServerName c.test
    DocumentRoot "$htdocs/a2"
    AssignUserID peruid_ta peruid_tx
</VirtualHost>
EOF
}

# whoami.php of $host: (status, pid, uid, gid)
sub who {
    my ($host, $port) = @_;
    my $r = http($host, '/whoami.php', port => $port, timeout => 15);
    my $v = kv($r->{body} // '');
    return ($r->{status} // 0, $v->{pid} // 0, $v->{uid} // -1,
            $v->{gid} // -1);
}

my $mpm = <<'EOF';
StartServers 0
MinSpareServers 0
MaxSpareServers 5
ServerLimit 8
MaxRequestWorkers 3
PeruidWarmWorkers 0
PeruidRouters 1
PeruidIdleTimeout 60
EOF

subtest 'at MaxRequestWorkers, the least recently used idle worker of another '
    . 'user makes room' => sub {
    Test::More::plan(tests => 8);
    my $port = free_port();
    my ($conf, $dir) = instance_conf('fair-lru', port => $port, mpm => $mpm,
                                     body => c_vhost($port));
    my $master = $started{$conf} = instance_start($conf, $dir, $port);
    ok($master, "instance started (master " . ($master // '-') . ")")
        or return;
    # instance_start asked default.test: peruid_td has the first worker.
    # a.test and b.test are used in a later second (the master orders
    # pools by whole seconds): default.test is the least recently used.
    my $t = time;
    my @td = workers_of_uid($master, $td_uid, $port);
    ok(@td == 1, "default.test has a worker: @td");
    my %w = ('default.test' => $td[0] // 0);
    sleep int($t) + 1.1 - $t;
    for my $h (qw(a.test b.test)) {
        my ($st, $pid) = who($h, $port);
        $w{$h} = $pid;
        ok($st == 200 && $pid, "$h served by worker $pid");
    }
    my @all = grep { pid_alive($_) } values %w;
    is(scalar(@all), 3, 'three workers, one per user: the bound '
       . '(MaxRequestWorkers 3) is reached');
    my ($st, $pid, $uid, $gid) = who('c.test', $port);
    ok($st == 200 && $uid == $ta_uid && $gid == $tx_gid,
       "c.test (a fourth pool) is served, as uid $uid gid $gid");
    my $gone = wait_for(sub { !pid_alive($w{'default.test'}) }, 5);
    ok($gone && pid_alive($w{'a.test'}) && pid_alive($w{'b.test'}),
       'the least recently used pool (default.test) gave up its idle worker; '
       . 'a.test and b.test kept theirs');
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};

# Each request [host, path] in a child process of its own, all at once,
# in the background.  Returns a handle for timed_wait.
sub timed_start {
    my ($port, $t0, @reqs) = @_;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        print $wr "$_\n" for in_parallel(map {
            my ($host, $path) = @$_;
            sub {
                my $r = http($host, $path, port => $port, timeout => 30);
                return sprintf('%d %.3f', $r->{status} // 0, time - $t0);
            }
        } @reqs);
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    return [$pid, $rd];
}

# The [status, seconds from $t0 to the complete answer] of each request
# of timed_start, in order.
sub timed_wait {
    my ($h) = @_;
    my @res = map { chomp; [split ' '] } readline($h->[1]);
    waitpid($h->[0], 0);
    return @res;
}

# The policy (which pool gives a worker up, and when) is the planner's
# (tests/unit/test_planner.c, rows "fair:" and "pending:"); here the
# master's executor carries it out on real workers.  PeruidMaxUserShare
# 100 lets a.test take every worker (the share would otherwise keep a
# slot for b.test from the start: t/share.t).
subtest 'a burst for one user does not starve another' => sub {
    Test::More::plan(tests => 6);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'fair-burst',
                           mpm => "${mpm}PeruidMaxUserShare 100\n"
                                  . "PeruidPeekTimeout 30\n");
    ok($master, "instance started (master " . ($master // '-') . ")")
        or return;
    # 9 requests of 1.5 s each for a.test: once all 3 workers are
    # a.test's, b.test asks.  Without fairness, a.test's workers take its
    # queued requests as they finish, and b.test waits until that queue
    # is empty (more than two rounds, over 3 s); with it, the first a.test
    # worker to finish its request leaves and b.test has the slot (within
    # a round, 1.5 s).
    my $t0 = time;
    my $burst = timed_start($port, $t0,
                            map { ['a.test', '/sleep.php?s=1.5'] } 1 .. 9);
    my @busy;
    wait_for(sub { (@busy = workers_of_uid($master, $ta_uid, $port)) >= 3 },
             10, 0.05);
    is(scalar(@busy), 3, "a.test holds every worker (@busy)");
    my $tb = time;
    my $bres = http('b.test', '/whoami.php', port => $port, timeout => 30);
    my $b_wait = time - $tb;
    my $b_done = time - $t0;
    my @res = timed_wait($burst);
    is(scalar(grep { $_->[0] == 200 } @res), 9, 'all 9 a.test requests '
       . 'served');
    is($bres->{status}, 200, 'b.test served');
    my $a_last = (sort { $a <=> $b } map { $_->[1] } @res)[-1];
    ok($b_wait < 2.5 && $b_done < $a_last,
       sprintf('b.test answered after %.1f s, within a round of a.test\'s '
               . 'requests and before its burst ended (%.1f s, b.test at '
               . '%.1f s)', $b_wait, $a_last, $b_done));
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};
