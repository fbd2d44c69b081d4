# t/mpm_config.t -- documented behaviour of the MPM directives that needs
# an instance of its own (docs/directives.md): AssignUserID of the main
# server, several Listen, StartServers round-robin, MaxRequestWorkers,
# GracefulShutdownTimeout.  Instances live under
# $PERUID_ITEST_ROOT/inst-cfg-* and are stopped by pid.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use PeruidTest qw(:all);
use POSIX ();
use Time::HiRes qw(time sleep);
use File::Path ();

plan tests => 12;

my ($ta_uid) = ids_of('peruid_ta');
my ($tb_uid) = ids_of('peruid_tb');
my ($td_uid) = ids_of('peruid_td');
my %started;

my @kill_at_end;   # processes of ours that are not instance masters
END {
    kill 'KILL', grep { pid_alive($_) } @kill_at_end;
    stop_instances(\%started);
}

sub count_uid {
    my ($master, $uid, $port) = @_;
    return scalar workers_of_uid($master, $uid, $port);
}

subtest 'StartServers: round-robin over the pools, main server first' => sub {
    Test::More::plan(tests => 5);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-start', mpm => <<'EOF');
StartServers 5
MinSpareServers 0
MaxSpareServers 4
ServerLimit 16
PeruidRouters 1
PeruidIdleTimeout 60
EOF
    ok($master, 'instance started') or return;
    # pools in configuration order: the main server and the default vhost
    # (both User: peruid_td), a.test (peruid_ta), b.test (peruid_tb):
    # 5 workers round-robin -> td, ta, tb, td, ta (in the reverse order
    # httpd keeps the vhosts in, tb would get two)
    my %n;
    wait_for(sub {
        %n = map { $_ => count_uid($master, $_, $port) }
             ($td_uid, $ta_uid, $tb_uid);
        $n{$td_uid} + $n{$ta_uid} + $n{$tb_uid} >= 5;
    }, 5);
    is($n{$td_uid}, 2, 'StartServers 5: 2 workers for peruid_td (main '
       . 'server pool, first)');
    is($n{$ta_uid}, 2, 'StartServers 5: 2 workers for peruid_ta (a.test, '
       . 'the first vhost with AssignUserID)');
    is($n{$tb_uid}, 1, 'StartServers 5: 1 worker for peruid_tb');
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};

# docs/directives.md: "A virtual host without AssignUserID runs as
# User/Group; it does not inherit an AssignUserID of the main server.
# AssignUserID in the main server config applies to the main server only
# (requests that match no virtual host)."
subtest 'AssignUserID of the main server: the main server only; two Listen' => sub {
    Test::More::plan(tests => 9);
    my ($p1, $p2) = (free_port(), free_port());
    $p2 = free_port() while $p2 == $p1;
    my ($conf, $dir) = instance_conf('cfg-main', port => $p1,
        mpm => <<"EOF", body => <<"EOF2");
Listen 127.0.0.1:$p2
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 16
PeruidRouters 2
PeruidIdleTimeout 60
EOF
# the main server only: requests to port $p2 match no virtual host
AssignUserID peruid_tb peruid_tb
EOF2
    my $master = $started{$conf} = instance_start($conf, $dir, $p1);
    ok($master, 'instance started') or return;

    my $r = http('whatever.test', '/whoami.php', port => $p2);
    my $v = kv($r->{body});
    is($r->{status}, 200, "port $p2 (no vhost there): 200");
    is($v->{uid}, $tb_uid, "port $p2: the main server runs as its "
       . 'AssignUserID (peruid_tb)');
    $r = http('default.test', '/whoami.php', port => $p1);
    $v = kv($r->{body});
    is($v->{server}, 'default.test', "port $p1: the default vhost");
    is($v->{uid}, $td_uid, "port $p1, default vhost without AssignUserID: "
       . 'runs as User (peruid_td), not as the main server\'s AssignUserID');
    $r = http('a.test', '/whoami.php', port => $p1);
    is(kv($r->{body})->{uid}, $ta_uid, "port $p1, a.test: peruid_ta");

    # every router serves both listeners
    my %l1 = map { $_ => 1 } listen_inodes($p1);
    my %l2 = map { $_ => 1 } listen_inodes($p2);
    my @routers = routers($master, $p1);
    is(scalar(@routers), 2, 'two routers');
    my @both = grep {
        my %s = map { $_ => 1 } values %{ { socket_inodes($_) } };
        (grep { $s{$_} } keys %l1) && (grep { $s{$_} } keys %l2);
    } @routers;
    is(scalar(@both), 2, 'both hold both listeners');
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};

# run $n requests in child processes; returns a handle for reap()
sub spawn_requests {
    my ($port, @reqs) = @_;
    my @kids;
    for my $q (@reqs) {
        my ($host, $path) = @$q;
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            my $t0 = time;
            my $r = http($host, $path, port => $port, timeout => 20);
            my $v = kv($r->{body});
            printf $wr "%s %s %.2f %s\n", $r->{status} // 0, $v->{uid} // '-',
                   time - $t0, ($r->{body} =~ /DONE/ ? 'DONE' : '-');
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd, $host];
    }
    return \@kids;
}

sub reap {
    my $kids = shift;
    my @res;
    for my $k (@$kids) {
        my $line = readline($k->[1]) // "0 - 0 -\n";
        waitpid($k->[0], 0);
        push @res, [$k->[2], split ' ', $line];
    }
    return @res;
}

subtest 'MaxRequestWorkers 2, PeruidWarmWorkers 0: never more workers, every '
    . 'pool still served' => sub {
    Test::More::plan(tests => 9);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-max', mpm => <<'EOF');
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 8
MaxRequestWorkers 2
PeruidWarmWorkers 0
PeruidRouters 1
PeruidIdleTimeout 60
EOF
    ok($master, 'instance started') or return;
    my $max = 0;
    my $watch = sub {       # children but routers and relay: workers
        my %r = map { $_ => 1 } routers($master, $port), log_relays($master);
        my $n = () = grep { !$r{$_} } children_of($master);
        $max = $n if $n > $max;
    };

    # a.test and b.test take the two slots; their workers stay idle
    my %uid = ('a.test' => $ta_uid, 'b.test' => $tb_uid,
               'default.test' => $td_uid);
    my @idle;       # the workers that served a.test and b.test
    for my $h (qw(a.test b.test)) {
        my $v = kv(http($h, '/whoami.php', port => $port)->{body});
        is($v->{uid}, $uid{$h}, "$h served");
        push @idle, $v->{pid} // 0;
        $watch->();
    }
    # default.test: an idle worker of another pool must make room
    # (PeruidIdleTimeout 60: neither would leave by itself meanwhile)
    my $kids = spawn_requests($port, ['default.test', '/whoami.php']);
    my $t0 = time;
    $watch->(), sleep 0.05 while time - $t0 < 0.5;
    my ($res) = reap($kids);
    is("$res->[1] $res->[2]", "200 $td_uid", 'default.test served as '
       . 'peruid_td with both slots taken by idle workers of other pools');
    my @left_idle = grep { pid_alive($_) } @idle;
    ok(@idle == 2 && @left_idle == 1, 'one of the two idle workers '
       . "(@idle) was asked to leave to make room; alive: @left_idle");

    # both slots busy with slow requests: the third waits, then is served
    $kids = spawn_requests($port, ['a.test', '/sleep.php?s=1.2'],
                           ['b.test', '/sleep.php?s=1.2']);
    sleep 0.4;
    my $k3 = spawn_requests($port, ['default.test', '/whoami.php']);
    $t0 = time;
    $watch->(), sleep 0.05 while time - $t0 < 1.5;
    my @slow = reap($kids);
    my ($third) = reap($k3);
    is(scalar(grep { $_->[1] == 200 && $_->[4] eq 'DONE' } @slow), 2,
       'the two slow requests completed');
    is("$third->[1] $third->[2]", "200 $td_uid", 'the third request was '
       . 'served once a slot was free');
    ok($max <= 2, "never more than 2 workers at once (saw $max)");
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};

# docs/directives.md (PeruidWarmWorkers): idle workers are kept beyond
# MaxRequestWorkers, up to PeruidWarmWorkers more; MaxRequestWorkers
# bounds the busy ones: no worker is started for a waiting connection
# while that many are busy, and no idle worker takes one (the routers'
# gate, gate.c).
subtest 'MaxRequestWorkers 1, PeruidWarmWorkers 1: idle workers beyond it, '
    . 'busy ones bounded' => sub {
    Test::More::plan(tests => 8);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-warm', mpm => <<'EOF');
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 4
MaxRequestWorkers 1
PeruidWarmWorkers 1
PeruidRouters 1
PeruidIdleTimeout 60
EOF
    ok($master, 'instance started') or return;
    # the start asked default.test: its worker is the oldest of the three
    # users (the master orders them by whole seconds of last use), so it
    # is the one that leaves for b.test
    my %pid;
    for my $h (qw(a.test b.test)) {
        sleep 1.1;
        my $v = kv(http($h, '/whoami.php', port => $port)->{body});
        $pid{$h} = $v->{pid} // 0;
        ok($pid{$h}, "$h served by worker $pid{$h}");
    }
    ok(pid_alive($pid{'a.test'}) && pid_alive($pid{'b.test'}),
       'both workers stay, idle, beyond MaxRequestWorkers 1');
    # a.test's worker busy for 2 s: the one busy slot is taken, so the
    # cold default.test waits for it although a process slot is free, and
    # b.test although its own worker is idle (the routers hold both)
    my $kids = spawn_requests($port, ['a.test', '/sleep.php?s=2']);
    sleep 0.5;
    my $k2 = spawn_requests($port, ['default.test', '/whoami.php'],
                            ['b.test', '/whoami.php']);
    my ($slow) = reap($kids);
    my ($cold, $warm) = reap($k2);
    is("$slow->[1] $slow->[4]", '200 DONE', 'the busy request completed');
    ok($warm->[1] == 200 && $warm->[2] == $tb_uid && $warm->[3] >= 1.0,
       "b.test served as peruid_tb once the busy slot was free, not by "
       . "its idle worker at once (status $warm->[1], uid $warm->[2], "
       . "after $warm->[3] s)");
    ok($cold->[1] == 200 && $cold->[2] == $td_uid && $cold->[3] >= 1.0,
       "default.test served as peruid_td once the busy slot was free "
       . "(status $cold->[1], uid $cold->[2], after $cold->[3] s)");
    ok(pid_alive($pid{'b.test'}), "b.test's idle worker was left alone "
       . '(its leaving would free no busy slot)');
    instance_stop($master, 10);
};

# docs/directives.md (MaxRequestWorkers): a connection held at the bound
# that no request end lets through within PeruidPeekTimeout gets 503 from
# the router, and PU00057 says why, naming the vhost.
subtest 'MaxRequestWorkers 1 held past PeruidPeekTimeout: 503, PU00057'
    => sub {
    Test::More::plan(tests => 5);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-held', mpm => <<'EOF');
StartServers 0
MinSpareServers 0
MaxSpareServers 4
ServerLimit 4
MaxRequestWorkers 1
PeruidWarmWorkers 2
PeruidRouters 1
PeruidIdleTimeout 60
PeruidPeekTimeout 1
EOF
    ok($master, 'instance started') or return;
    my $b = http('b.test', '/whoami.php', port => $port);
    sleep 1.1;
    my $a = http('a.test', '/whoami.php', port => $port);
    is(($a->{status} // 0) . ' ' . ($b->{status} // 0), '200 200',
       'a.test and b.test served, each keeps an idle worker');
    # a.test busy for 3 s holds the one slot; b.test's idle worker may
    # not take its connection, which waits past its 1 s deadline
    my $kids = spawn_requests($port, ['a.test', '/sleep.php?s=3']);
    sleep 0.5;
    my $t0 = time;
    my $r = http('b.test', '/whoami.php', port => $port, timeout => 10);
    my $took = time - $t0;
    my ($slow) = reap($kids);
    ok(($r->{status} // 0) == 503 && $took < 2.5,
       sprintf('b.test answered 503 at its deadline (status %s after '
               . '%.2f s)', $r->{status} // '-', $took));
    is("$slow->[1] $slow->[4]", '200 DONE', 'the busy request completed');
    my $log = slurp("$dir/logs/error_log") // '';
    like($log, qr/PU00057: router: MaxRequestWorkers \(1\) requests in flight.*virtual host b\.test/,
         'PU00057 names MaxRequestWorkers and the vhost');
    instance_stop($master, 10);
};

# MinSpareServers times the users exceeds MaxRequestWorkers: spares must
# not take slots from each other (a fork/kill loop), and a slot handed to
# a pool whose connection waits is not taken back for a spare.
subtest 'MinSpareServers 1 over MaxRequestWorkers 2: no fork/kill loop' => sub {
    Test::More::plan(tests => 5);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-spares', mpm => <<'EOF');
StartServers 0
MinSpareServers 1
MaxSpareServers 2
ServerLimit 8
MaxRequestWorkers 2
PeruidWarmWorkers 0
PeruidRouters 1
PeruidIdleTimeout 60
EOF
    ok($master, 'instance started') or return;
    # the workers (children that are not routers nor the log relay) seen
    # over $secs seconds
    my $workers_seen = sub {
        my ($secs) = @_;
        my %seen;
        my $t0 = time;
        while (time - $t0 < $secs) {
            my %r = map { $_ => 1 } routers($master, $port),
                                    log_relays($master);
            $seen{$_} = 1 for grep { !$r{$_} } children_of($master);
            sleep 0.1;
        }
        return sort { $a <=> $b } keys %seen;
    };
    $workers_seen->(1.5);               # let the spares settle
    my @seen = $workers_seen->(2);
    ok(@seen <= 2, 'idle server: the same at most 2 workers for 2 s '
       . "(saw @seen)");
    # a pool without a spare gets a slot for its waiting connection ...
    my %spare_uid = map { (proc_uid($_) // -1) => 1 } @seen;
    my %uid = ('a.test' => $ta_uid, 'b.test' => $tb_uid,
               'default.test' => $td_uid);
    my ($host) = grep { !$spare_uid{$uid{$_}} } sort keys %uid;
    $host //= 'b.test';
    my $v = kv(http($host, '/whoami.php', port => $port)->{body});
    is($v->{uid}, $uid{$host}, "$host (no spare) served as its user");
    # ... and keeps it: no spare takes it back, nothing forks meanwhile
    # (two passes of the master at least)
    @seen = $workers_seen->(2);
    my $wpid = $v->{pid} // -1;
    ok(@seen <= 2 && grep({ $_ == $wpid } @seen),
       "${host}'s worker $wpid stays, no other worker comes and goes "
       . "(saw @seen)");
    my @left = instance_stop($master, 10);
    is("@left", '', 'instance stopped');
};

subtest 'GracefulShutdownTimeout bounds a graceful-stop' => sub {
    Test::More::plan(tests => 5);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-gst', mpm => <<'EOF');
StartServers 1
MinSpareServers 0
MaxSpareServers 4
PeruidRouters 1
GracefulShutdownTimeout 1
EOF
    ok($master, 'instance started') or return;
    # a request of 60 s: without the bound the stop would wait for it
    my $c = keepalive_connect(port => $port);
    ka_send($c, 'a.test', '/sleep.php?s=60', headers => ['Connection: close']);
    my $sel = IO::Select->new($c->{sock});
    my $buf = '';
    my $t = time;
    while ($buf !~ /pid=\d+/ && time - $t < 5 && $sel->can_read(1)) {
        sysread($c->{sock}, my $b, 4096) or last;
        $buf .= $b;
    }
    like($buf, qr/pid=\d+/, 'a 60 s request is in progress');
    my @pids = instance_pids($master);
    my $t0 = time;
    kill 'WINCH', $master;
    my $gone = wait_for(sub { !grep { ours($_, $conf) } @pids }, 30);
    my $dt = time - $t0;
    ok($gone, sprintf('every process exited (%.1f s after SIGWINCH), long '
       . 'before the 60 s request would have finished', $dt));
    my ($rest, $eof) = read_all($c->{sock}, 3);
    ok($eof, 'the client\'s connection was closed');
    unlike($buf . $rest, qr/DONE/, 'the request was cut');
};

# docs/directives.md (ServerLimit): "The routers take no slot of it."
subtest 'ServerLimit bounds MaxRequestWorkers only; the routers come on top'
    => sub {
    Test::More::plan(tests => 4);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-limit', mpm => <<'EOF');
StartServers 1
ServerLimit 2
MaxRequestWorkers 2
PeruidRouters 4
EOF
    ok($master, 'ServerLimit 2, MaxRequestWorkers 2 with PeruidRouters 4: '
       . 'starts') or return;
    my $startup = (slurp("$dir/logs/startup.out") // '')
                . (slurp("$dir/logs/error_log") // '');
    unlike($startup, qr/PU00002/, 'nothing was adjusted (no PU00002): the '
           . 'routers take no slot of ServerLimit');
    my @routers = routers($master, $port);
    is(scalar(@routers), 4, 'all 4 routers run: ' . "@routers");
    my $r = http('b.test', '/whoami.php', port => $port);
    is(kv($r->{body})->{uid}, $tb_uid, 'and a worker serves b.test');
    instance_stop($master, 10);
};

# docs/directives.md (PeruidRouters): "PeruidRouters 0 (one per four
# online CPUs, at least one)", the default.
subtest 'PeruidRouters by default: one per four CPUs, at least one' => sub {
    Test::More::plan(tests => 2);
    my ($master, $port)
        = started_instance(\%started, 'cfg-routers', mpm => <<'EOF');
StartServers 1
ServerLimit 32
EOF
    ok($master, 'instance without PeruidRouters started') or return;
    chomp(my $cpus = `getconf _NPROCESSORS_ONLN` || 1);
    my $want = int($cpus / 4) || 1;
    my @routers = routers($master, $port);
    is(scalar(@routers), $want, "$cpus CPUs: $want router(s): @routers");
    instance_stop($master, 10);
};

# CoreDumpDirectory makes httpd's mod_unixd set PR_SET_DUMPABLE in its
# drop_privileges hook, which the MPM runs after its own switch.  A
# dumpable router runs as User, the same uid as the vhosts without
# AssignUserID: their code could then ptrace it (or read its memory) and
# see every request head of every vhost.
subtest 'CoreDumpDirectory does not open the routers to User\'s vhosts' => sub {
    Test::More::plan(tests => 5);
    my $port = free_port();
    my $cores = root() . '/inst-cfg-core/cores';
    my ($conf, $dir) = instance_conf('cfg-core', port => $port,
                                     body => "CoreDumpDirectory $cores\n");
    File::Path::make_path($cores);
    chmod 01777, $cores;
    my $master = $started{$conf} = instance_start($conf, $dir, $port);
    ok($master, 'instance with CoreDumpDirectory started') or return;
    my @routers = routers($master, $port);
    ok(@routers >= 1, "routers: @routers");
    # the control: CoreDumpDirectory does make the workers dumpable (their
    # /proc files belong to their user), so what is asserted of the
    # routers below is the MPM's doing, not a side effect of the switch
    my $c = keepalive_connect(port => $port);
    ka_send($c, 'default.test', '/whoami.php');
    my $wpid = kv(ka_read_response($c)->{body})->{pid} // 0;
    my @wst = stat("/proc/$wpid/environ");
    is($wst[4], $td_uid, "with CoreDumpDirectory, default.test's worker "
       . "$wpid is dumpable (its /proc files belong to peruid_td)");
    close $c->{sock};
    my $pid = $routers[0];
    my $r = http('default.test', "/procread.php?pid=$pid", port => $port);
    like($r->{body}, qr/^READ-FAILED/, "default.test PHP (uid $td_uid) "
         . "cannot read /proc/$pid/environ of router $pid");
    my @st = stat("/proc/$pid/environ");
    is($st[4], 0, "router $pid is not dumpable (its /proc files belong to "
       . "root)");
    instance_stop($master, 10);
};

# A graceful-stop must end keep-alive: a worker told to stop finishes the
# request in progress and closes the connection (prefork does so through
# the MPM state that ap_graceful_stop_signalled() reads).  Otherwise one
# client that keeps its connection busy keeps the server from stopping
# (GracefulShutdownTimeout is 0, no limit, by default).
subtest 'graceful-stop ends kept-alive connections' => sub {
    Test::More::plan(tests => 4);
    my ($master, $port, $conf, $dir)
        = started_instance(\%started, 'cfg-kastop', mpm => <<'EOF');
StartServers 1
MinSpareServers 0
PeruidRouters 1
EOF
    ok($master, 'instance started (no GracefulShutdownTimeout)') or return;
    my @pids = instance_pids($master);
    my $c = keepalive_connect(port => $port);
    ka_send($c, 'a.test', '/whoami.php');
    is(ka_read_response($c)->{status}, 200, 'kept-alive connection open');
    my $t0 = time;
    kill 'WINCH', $master;
    my ($served, $closed) = (0, 0);
    while (time - $t0 < 8 && pid_alive($master)) {
        sleep 0.5;
        ka_send($c, 'a.test', '/whoami.php');
        my $r = ka_read_response($c, 3);
        if (defined $r->{status}) { $served++ } else { $closed = 1; last }
    }
    my $gone = wait_for(sub { !pid_alive($master) }, 3);
    ok($gone, sprintf('the server stopped (%.1f s after SIGWINCH) although '
       . 'the client kept sending', time - $t0));
    # the server's end of the connection is gone, not merely quiet: the
    # client reads its end
    my $eof = $closed || (read_all($c->{sock}, 3))[1];
    ok($eof, "the connection was closed after $served more requests");
    close $c->{sock};
    instance_stop($master, 5) if pid_alive($master);
    kill 'KILL', grep { ours($_, $conf) } @pids;
};

# docs/architecture.md: -X: "One process switches to User/Group and
# accepts on the first listener itself, serving the vhosts of that user;
# requests for other users' vhosts are answered 503 by the double-check."
subtest 'one-process mode (-X): User\'s vhosts only' => sub {
    Test::More::plan(tests => 8);
    my $port = free_port();
    my ($conf, $dir) = instance_conf('cfg-x', port => $port);
    my $httpd = vars('httpd') || '/usr/sbin/apache2';
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$dir/logs/x.out";
        open STDERR, '>&', \*STDOUT;
        exec($httpd, '-X', '-d', $dir, '-f', $conf) or POSIX::_exit(127);
    }
    push @kill_at_end, $pid;
    my $up = wait_for(sub {
        (http('default.test', '/index.html', port => $port,
              timeout => 2)->{status} // 0) == 200;
    }, 10);
    ok($up, "apache2 -X runs (pid $pid)");
    my $r = http('default.test', '/whoami.php', port => $port);
    is(kv($r->{body})->{uid}, $td_uid, 'default.test: served as User');
    is(kv($r->{body})->{pid}, $pid, 'by the one process');
    my $st = proc_status($pid);
    is((split ' ', $st->{Uid} // '')[0], $td_uid, 'which runs as User');
    my $elog = "$dir/logs/error_log";
    my $mark = -s $elog || 0;
    $r = http('a.test', '/whoami.php', port => $port, timeout => 5);
    is($r->{status}, 503, 'a.test (another user): 503, nothing served '
       . '(no router to hand it over to)');
    my $log = '';
    wait_for(sub { $log = error_log_since($mark, $elog); $log =~ /PU00098/ },
             3);
    like($log, qr/PU00098: worker uid $td_uid cannot hand a request for vhost a\.test .*no routers/,
         'by the double-check (PU00098)');
    $r = http('default.test', '/whoami.php', port => $port);
    is(kv($r->{body})->{pid}, $pid, 'the one process goes on serving '
       . 'default.test');
    kill 'TERM', $pid;
    my $gone = wait_for(sub { waitpid($pid, POSIX::WNOHANG()) == $pid }, 5);
    kill 'KILL', $pid unless $gone;
    waitpid($pid, 0) unless $gone;
    ok($gone, 'it stops on SIGTERM');
};
