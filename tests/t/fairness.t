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
use Time::HiRes qw(time sleep);

plan tests => 2;

my ($ta_uid) = ids_of('peruid_ta');
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
    # Last uses one second apart (the master orders pools by whole
    # seconds): default (oldest), then a, then b.
    my %w;
    for my $h (qw(default.test a.test b.test)) {
        sleep 1.2;
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

# Each request [host, path, delay] in a child process of its own, all
# at once.  Returns a list of [status, seconds from $t0 to the complete
# answer].
sub timed_parallel {
    my ($port, $t0, @reqs) = @_;
    return map { [split ' '] } in_parallel(map {
        my ($host, $path, $delay) = @$_;
        sub {
            sleep $delay if $delay;
            my $r = http($host, $path, port => $port, timeout => 30);
            return sprintf('%d %.3f', $r->{status} // 0, time - $t0);
        }
    } @reqs);
}

subtest 'a burst for one user does not starve another' => sub {
    Test::More::plan(tests => 5);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'fair-burst', mpm => $mpm);
    ok($master, "instance started (master " . ($master // '-') . ")")
        or return;
    # 9 requests of 2 s each for a.test: all 3 workers are a.test's, 6
    # wait; served 3 at a time they end at about 2, 4 and 6 s.  b.test
    # asks 0.5 s in.  Without fairness b.test waits for a.test's queue to
    # empty (about 6 s); with it, the first a.test worker to finish leaves
    # and b.test has its slot at about 2 s.
    my $t0 = time;
    my @res = timed_parallel($port, $t0,
                             (map { ['a.test', '/sleep.php?s=2', 0] } 1 .. 9),
                             ['b.test', '/whoami.php', 0.5]);
    my $bres = pop @res;
    is(scalar(grep { $_->[0] == 200 } @res), 9, 'all 9 a.test requests '
       . 'served');
    is($bres->[0], 200, 'b.test served');
    my $a_last = (sort { $a <=> $b } map { $_->[1] } @res)[-1];
    ok($bres->[1] < 3.5 && $bres->[1] < $a_last,
       sprintf('b.test answered after %.1f s, before a.test\'s burst ended '
               . '(%.1f s)', $bres->[1], $a_last));
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};
